import { createContext, memo, useContext } from "react";
import { Handle, Position } from "@xyflow/react";
import { groupLook } from "./groups.js";

// What Python says about each node (summary, output shape, params, cost, problem, fixes), keyed by
// id, the registry's kinds keyed by type, its groups' looks keyed by name, the layout
// direction and the fix callback. Everything is rendered as text, never HTML.
export const DecorContext = createContext({
  info: {},
  kinds: {},
  looks: {},
  direction: "TB",
  onFix: null,
});

function LayerNodeImpl({ id, data, selected }) {
  const { info, kinds, looks, direction, onFix } = useContext(DecorContext);
  const d = info[id] || {};
  const kind = kinds[data.kind] || {};
  const look = groupLook(looks, kind.group);
  const error = d.error || null;
  const across = direction === "LR";
  const className = ["nb-node", error ? "nb-node-bad" : "", selected ? "nb-node-selected" : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div
      className={className}
      style={{ "--nb-group": look.color }}
      data-node-id={id}
      data-group={kind.group || ""}
      data-error={error ?? undefined}
      title={kind.help || data.kind}
    >
      {kind.inputs !== "none" && (
        <Handle type="target" position={across ? Position.Left : Position.Top} />
      )}
      <div className="nb-node-head">
        <span className="nb-node-icon" aria-hidden="true">
          {look.icon}
        </span>
        <span className="nb-node-type">{data.kind}</span>
        <span className="nb-node-id">{id}</span>
      </div>
      {d.summary ? <div className="nb-node-summary">{d.summary}</div> : null}
      <div className="nb-node-foot">
        <span className="nb-node-shape" data-shape={d.shape || ""}>
          {d.shape ? `→ ${d.shape}` : "→ ?"}
        </span>
        {d.params ? <span className="nb-node-params">{d.params}</span> : null}
      </div>
      {d.cost ? (
        <div className="nb-node-cost" title="Forward FLOPs and activation memory, per sample">
          {d.cost}
        </div>
      ) : null}
      {error ? (
        <div className="nb-node-error">
          <div>{error}</div>
          {d.fix ? <div className="nb-node-hint">Fix: {d.fix}</div> : null}
          {(d.fixes || []).map((f) => (
            <button
              key={f.id}
              type="button"
              className="nb-fix nodrag"
              data-fix={f.id}
              onClick={(e) => {
                e.stopPropagation();
                if (onFix) onFix(f.id);
              }}
            >
              {f.label}
            </button>
          ))}
        </div>
      ) : null}
      <Handle type="source" position={across ? Position.Right : Position.Bottom} />
    </div>
  );
}

export const LayerNode = memo(LayerNodeImpl);
