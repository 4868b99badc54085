import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import {
  addEdge,
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesInitialized,
  useNodesState,
  useReactFlow,
} from "@xyflow/react";
import {
  copySelection,
  freshId,
  graphPayload,
  pasteCopy,
  toFlowEdges,
  toFlowNodes,
} from "./graph.js";
import { groupLook, groupLooks } from "./groups.js";
import { DecorContext, LayerNode } from "./LayerNode.jsx";
import { KIND_MIME, Palette } from "./Palette.jsx";

const NODE_TYPES = { layer: LayerNode };
const EDGE_OPTIONS = { markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } };
const DELETE_KEYS = ["Backspace", "Delete"];
const FIT = { padding: 0.15, maxZoom: 1.1, duration: 0 };
const PASTE_GAP = 40; // between an original and its copy
const LABEL_STYLE = { fontSize: 12, fontFamily: "var(--st-code-font, monospace)" };
const LABEL_BG = { fill: "var(--st-background-color, #fff)", fillOpacity: 0.9 };

// What Ctrl+C copied, shared by every canvas of the page: a GAN's layers paste across models.
const clipboard = { copy: null };

// Keys typed into a text field belong to the field, not to the canvas.
const inField = (e) => /^(INPUT|TEXTAREA|SELECT)$/.test(e.target?.tagName || "");

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

  const pastes = useRef(0);
  const direction = data.direction === "LR" ? "LR" : "TB";

  const kinds = useMemo(() => Object.fromEntries(kindsList.map((k) => [k.type, k])), [kindsList]);
  const looks = useMemo(() => groupLooks(data.groups), [data.groups]);
  const info = useMemo(
    () => Object.fromEntries((graph.nodes || []).map((n) => [n.id, n])),
    [graph],
  );
  const onFix = useCallback(
    (id) => setTriggerValue("action", { type: "fix", id, at: Date.now() }),
    [setTriggerValue],
  );
  const decor = useMemo(
    () => ({ info, kinds, looks, direction, onFix }),
    [info, kinds, looks, direction, onFix],
  );
  // Each edge carries the tensor shape its source outputs (as Python inferred it).
  const shownEdges = useMemo(
    () =>
      edges.map((e) => {
        const shape = info[e.source]?.shape;
        return shape ? { ...e, label: shape, labelStyle: LABEL_STYLE, labelBgStyle: LABEL_BG } : e;
      }),
    [edges, info],
  );
  const minimapColor = useCallback(
    (n) => groupLook(looks, kinds[n.data?.kind]?.group).color,
    [kinds, looks],
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

  // Paste the copied nodes with fresh ids (params follow through `from`) beside the originals,
  // each further paste one more step off, so copies never hide one another.
  const paste = useCallback(
    (copy) => {
      if (!copy || copy.nodes.length === 0) return;
      pastes.current += 1;
      const step = pastes.current;
      const made = pasteCopy(copy, takenIds(), {
        x: (copy.span + PASTE_GAP) * step,
        y: PASTE_GAP * (step - 1),
      });
      setNodes((ns) =>
        ns.map((n) => (n.selected ? { ...n, selected: false } : n)).concat(made.nodes),
      );
      setEdges((es) => es.concat(made.edges));
    },
    [takenIds, setNodes, setEdges],
  );

  const onKeyDown = useCallback(
    (e) => {
      if (!(e.ctrlKey || e.metaKey) || inField(e)) return;
      const key = e.key.toLowerCase();
      if (key === "c" || key === "d") {
        const copy = copySelection(flow.getNodes(), flow.getEdges());
        if (copy.nodes.length === 0) return;
        e.preventDefault();
        if (key === "c") {
          clipboard.copy = copy;
          pastes.current = 0;
        } else {
          pastes.current = 0;
          paste(copy);
        }
        return;
      }
      if (key === "v") {
        e.preventDefault();
        paste(clipboard.copy);
        return;
      }
      let type = null;
      if (key === "z") type = e.shiftKey ? "redo" : "undo";
      else if (key === "y") type = "redo";
      if (!type) return;
      e.preventDefault();
      e.stopPropagation();
      setTriggerValue("action", { type, at: Date.now() });
    },
    [flow, paste, setTriggerValue],
  );

  // Fill the window below wherever the page put the canvas, never shorter than min_height.
  const editor = useRef(null);
  const [height, setHeight] = useState(data.min_height || 600);
  const fitWindow = useCallback(() => {
    const el = editor.current;
    if (!el) return;
    const top = el.getBoundingClientRect().top + window.scrollY;
    const room = Math.floor(window.innerHeight - top - (data.bottom_margin ?? 16));
    setHeight(Math.max(data.min_height || 600, room));
  }, [data.min_height, data.bottom_margin]);
  useLayoutEffect(() => {
    fitWindow();
    window.addEventListener("resize", fitWindow);
    return () => window.removeEventListener("resize", fitWindow);
  }, [fitWindow]);
  // After each rerun the page above may have changed (a notice came or went): measure again,
  // once it has settled.
  useEffect(() => {
    const late = setTimeout(fitWindow, 300);
    return () => clearTimeout(late);
  }, [data, fitWindow]);

  return (
    <div className="nb-editor" ref={editor} style={{ height: `${height}px` }} data-direction={direction} onKeyDown={onKeyDown}>
      <Palette kinds={kindsList} looks={looks} onAdd={addAtCenter} />
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
            edges={shownEdges}
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
            {nodes.length > 0 ? (
              <MiniMap
                pannable
                zoomable
                nodeColor={minimapColor}
                style={{ width: 160, height: 110 }}
                ariaLabel="Minimap"
              />
            ) : null}
          </ReactFlow>
        </DecorContext.Provider>
        {nodes.length === 0 ? (
          <div className="nb-empty">
            Drag a layer here from the palette (or search for it and press Enter), or start
            from one of the Presets in the toolbar.
          </div>
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
