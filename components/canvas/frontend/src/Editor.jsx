import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  addEdge,
  Background,
  Controls,
  MarkerType,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesInitialized,
  useNodesState,
  useReactFlow,
} from "@xyflow/react";
import { freshId, graphPayload, toFlowEdges, toFlowNodes } from "./graph.js";
import { DecorContext, LayerNode } from "./LayerNode.jsx";
import { KIND_MIME, Palette } from "./Palette.jsx";

const NODE_TYPES = { layer: LayerNode };
const EDGE_OPTIONS = { markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } };
const DELETE_KEYS = ["Backspace", "Delete"];
const FIT = { padding: 0.15, maxZoom: 1.1, duration: 0 };

export function Editor(props) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}

function EditorInner({ data, setStateValue, setTriggerValue }) {
  const graph = data.graph || { nodes: [], edges: [] };
  const kindsList = data.kinds || [];
  const [nodes, setNodes, onNodesChange] = useNodesState([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState([]);
  const [menu, setMenu] = useState(null);
  const flow = useReactFlow();
  const wrapper = useRef(null);
  const lastRev = useRef(null);
  const lastSent = useRef(null);
  const seeded = useRef(null);
  const pendingFit = useRef(false);
  const measured = useNodesInitialized();

  const kinds = useMemo(() => Object.fromEntries(kindsList.map((k) => [k.type, k])), [kindsList]);
  const decor = useMemo(
    () => ({ info: Object.fromEntries((graph.nodes || []).map((n) => [n.id, n])), kinds }),
    [graph, kinds],
  );

  // Python owns the design: when its revision changes (design opened, preset, undo,
  // auto-layout...) replace the local graph; otherwise only the decorations change.
  useEffect(() => {
    if (lastRev.current === data.rev) return;
    const first = lastRev.current === null;
    lastRev.current = data.rev;
    const ns = toFlowNodes(graph, data.selected ?? null);
    const es = toFlowEdges(graph);
    seeded.current = ns;
    lastSent.current = JSON.stringify(graphPayload(ns, es));
    setNodes(ns);
    setEdges(es);
    setMenu(null);
    pendingFit.current = (first || data.fit) && ns.length > 0;
  }, [data.rev]); // eslint-disable-line react-hooks/exhaustive-deps

  // Fit only once React Flow has measured the new nodes, or the bounds are wrong.
  useEffect(() => {
    if (measured && pendingFit.current) {
      pendingFit.current = false;
      flow.fitView(FIT);
    }
  }, [measured, nodes, flow]);

  // Report the graph to Python only when it really changed and no drag is in progress.
  useEffect(() => {
    if (lastRev.current === null) return;
    if (seeded.current !== null) {
      if (nodes !== seeded.current) return; // still rendering the graph from before a reset
      seeded.current = null;
    }
    if (nodes.some((n) => n.dragging)) return;
    const payload = graphPayload(nodes, edges);
    const text = JSON.stringify(payload);
    if (text === lastSent.current) return;
    lastSent.current = text;
    setStateValue("graph", { ...payload, rev: lastRev.current });
  }, [nodes, edges, setStateValue]);

  const takenIds = useCallback(() => {
    const taken = new Set(data.other_ids || []);
    for (const n of flow.getNodes()) taken.add(n.id);
    return taken;
  }, [data.other_ids, flow]);

  const addNode = useCallback(
    (kind, position) => {
      if (!kinds[kind]) return;
      const id = freshId(kind, takenIds());
      setNodes((ns) =>
        ns
          .map((n) => (n.selected ? { ...n, selected: false } : n))
          .concat({ id, type: "layer", position, data: { kind }, selected: true }),
      );
    },
    [kinds, takenIds, setNodes],
  );

  // Click in the palette: put the layer in the middle of the view, below anything there.
  const addAtCenter = useCallback(
    (kind) => {
      const rect = wrapper.current.getBoundingClientRect();
      const c = flow.screenToFlowPosition({
        x: rect.left + rect.width / 2,
        y: rect.top + rect.height / 2,
      });
      const spot = { x: c.x - 80, y: c.y - 30 };
      const hits = (n) =>
        Math.abs(n.position.x - spot.x) < (n.measured?.width ?? 160) &&
        Math.abs(n.position.y - spot.y) < (n.measured?.height ?? 70) + 20;
      for (let i = 0; i < 200 && flow.getNodes().some(hits); i += 1) spot.y += 30;
      addNode(kind, spot);
    },
    [flow, addNode],
  );

  const onDrop = useCallback(
    (e) => {
      e.preventDefault();
      const kind = e.dataTransfer.getData(KIND_MIME) || e.dataTransfer.getData("text/plain");
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(kind, { x: p.x - 80, y: p.y - 30 });
    },
    [flow, addNode],
  );

  const onDragOver = useCallback((e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
  }, []);

  const onConnect = useCallback(
    (c) => setEdges((es) => addEdge({ ...c, id: JSON.stringify([c.source, c.target]) }, es)),
    [setEdges],
  );

  const isValidConnection = useCallback(
    (c) => {
      if (c.source === c.target) return false;
      const target = flow.getNode(c.target);
      return !!target && kinds[target.data.kind]?.inputs !== "none";
    },
    [flow, kinds],
  );

  const openMenu = useCallback((e, what) => {
    e.preventDefault();
    const rect = wrapper.current.getBoundingClientRect();
    setMenu({ ...what, left: e.clientX - rect.left, top: e.clientY - rect.top });
  }, []);

  const deleteFromMenu = useCallback(() => {
    if (!menu) return;
    if (menu.node) flow.deleteElements({ nodes: [{ id: menu.node }] });
    if (menu.edge) flow.deleteElements({ edges: [{ id: menu.edge }] });
    setMenu(null);
  }, [menu, flow]);

  const onKeyDown = useCallback(
    (e) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      let type = null;
      if (key === "z") type = e.shiftKey ? "redo" : "undo";
      else if (key === "y") type = "redo";
      if (!type) return;
      e.preventDefault();
      e.stopPropagation();
      setTriggerValue("action", { type, at: Date.now() });
    },
    [setTriggerValue],
  );

  return (
    <div className="nb-editor" style={{ height: `${data.height || 600}px` }} onKeyDown={onKeyDown}>
      <Palette kinds={kindsList} onAdd={addAtCenter} />
      <div
        className="nb-flow"
        data-canvas
        ref={wrapper}
        tabIndex={0}
        onDrop={onDrop}
        onDragOver={onDragOver}
      >
        <DecorContext.Provider value={decor}>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={NODE_TYPES}
            defaultEdgeOptions={EDGE_OPTIONS}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            isValidConnection={isValidConnection}
            onNodeContextMenu={(e, n) => openMenu(e, { node: n.id })}
            onEdgeContextMenu={(e, ed) => openMenu(e, { edge: ed.id })}
            onPaneClick={() => setMenu(null)}
            deleteKeyCode={DELETE_KEYS}
            minZoom={0.1}
            maxZoom={2}
          >
            <Background gap={16} size={1} />
            <Controls showInteractive={false} />
          </ReactFlow>
        </DecorContext.Provider>
        {nodes.length === 0 ? (
          <div className="nb-empty">Drag a layer here from the palette, or open a preset.</div>
        ) : null}
        {menu ? (
          <div className="nb-menu" style={{ left: menu.left, top: menu.top }} data-context-menu>
            <button type="button" onClick={deleteFromMenu}>
              {menu.node ? "Delete layer" : "Delete connection"}
            </button>
          </div>
        ) : null}
      </div>
    </div>
  );
}
