import { createContext, memo, useContext } from "react";
import { Handle, Position } from "@xyflow/react";

// What Python says about each node (summary, output shape, params, problem), keyed by id,
// plus the registry's kinds keyed by type. Everything is rendered as text, never HTML.
export const DecorContext = createContext({ info: {}, kinds: {} });

function LayerNodeImpl({ id, data, selected }) {
  const { info, kinds } = useContext(DecorContext);
  const d = info[id] || {};
  const kind = kinds[data.kind] || {};
  const error = d.error || null;
  const className = ["nb-node", error ? "nb-node-bad" : "", selected ? "nb-node-selected" : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div
      className={className}
      data-node-id={id}
      data-error={error ?? undefined}
      title={kind.help || data.kind}
    >
      {kind.inputs !== "none" && <Handle type="target" position={Position.Top} />}
      <div className="nb-node-head">
        <span className="nb-node-type">{data.kind}</span>
        <span className="nb-node-id">{id}</span>
      </div>
      {d.summary ? <div className="nb-node-summary">{d.summary}</div> : null}
      <div className="nb-node-shape" data-shape={d.shape || ""}>
        {d.shape ? `→ ${d.shape}` : "→ ?"}
      </div>
      {d.params ? <div className="nb-node-params">{d.params}</div> : null}
      {error ? (
        <div className="nb-node-error">
          <div>{error}</div>
          {d.fix ? <div className="nb-node-fix">Fix: {d.fix}</div> : null}
        </div>
      ) : null}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

export const LayerNode = memo(LayerNodeImpl);
