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
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.kind,
      x: Math.round(n.position.x),
      y: Math.round(n.position.y),
    })),
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
