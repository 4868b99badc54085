// Conversions between the graph Python sends and React Flow's nodes/edges.
// The canvas never computes shapes: everything it shows about a layer comes from Python.

export const edgeId = (source, target) => JSON.stringify([source, target]);

export function toFlowNodes(graph, selectedId) {
  return (graph.nodes || []).map((n) => ({
    id: n.id,
    type: "layer",
    position: { x: Number(n.x) || 0, y: Number(n.y) || 0 },
    data: { kind: n.type },
    selected: n.id === selectedId,
  }));
}

export function toFlowEdges(graph) {
  return (graph.edges || []).map(([source, target]) => ({
    id: edgeId(source, target),
    source,
    target,
  }));
}

// What the canvas reports to Python: structure, rounded positions and the selection.
export function graphPayload(nodes, edges) {
  const selected = nodes.find((n) => n.selected);
  return {
    nodes: nodes.map((n) => {
      const out = {
        id: n.id,
        type: n.data.kind,
        x: Math.round(n.position.x),
        y: Math.round(n.position.y),
      };
      if (n.data.from) out.from = n.data.from; // a pasted copy: Python copies its params
      return out;
    }),
    edges: edges.map((e) => [e.source, e.target]),
    selected: selected ? selected.id : null,
  };
}

// A readable id that is unique in the whole design (Python lists ids used by other models).
export function freshId(kind, taken) {
  const base = kind.toLowerCase().replace(/[^a-z0-9]/g, "") || "node";
  for (let i = 1; ; i += 1) {
    const id = `${base}${i}`;
    if (!taken.has(id)) return id;
  }
}

// What Ctrl+C keeps: the selected nodes (kind, origin id, position), the edges between them,
// and how wide they spread (copies are put beside the originals, not on top of them).
export function copySelection(nodes, edges) {
  const picked = nodes.filter((n) => n.selected);
  const ids = new Set(picked.map((n) => n.id));
  const left = Math.min(...picked.map((n) => n.position.x));
  const right = Math.max(...picked.map((n) => n.position.x + (n.measured?.width ?? 170)));
  return {
    span: picked.length ? right - left : 0,
    nodes: picked.map((n) => ({
      id: n.id,
      kind: n.data.kind,
      from: n.data.from || n.id,
      position: { ...n.position },
    })),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => [e.source, e.target]),
  };
}

// The copied nodes as new, selected nodes with fresh ids, moved by `offset`; their inner edges.
export function pasteCopy(copy, taken, offset) {
  const rename = new Map();
  const nodes = copy.nodes.map((c) => {
    const id = freshId(c.kind, taken);
    taken.add(id);
    rename.set(c.id, id);
    return {
      id,
      type: "layer",
      position: { x: c.position.x + offset.x, y: c.position.y + offset.y },
      data: { kind: c.kind, from: c.from },
      selected: true,
    };
  });
  const edges = copy.edges.map(([s, t]) => ({
    id: edgeId(rename.get(s), rename.get(t)),
    source: rename.get(s),
    target: rename.get(t),
  }));
  return { nodes, edges };
}
