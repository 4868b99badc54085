import { memo, useState } from "react";
import { groupLook } from "./groups.js";

export const KIND_MIME = "application/x-netbuilder-kind";

// How well a kind matches the search: 0 its name starts with it, 1 its name holds it,
// 2 its group or help does; null no match. Enter adds the best match.
export function rank(kind, query) {
  const q = query.trim().toLowerCase();
  const type = kind.type.toLowerCase();
  if (!q || type.startsWith(q)) return 0;
  if (type.includes(q)) return 1;
  const rest = `${kind.group || ""} ${kind.help || ""}`.toLowerCase();
  return rest.includes(q) ? 2 : null;
}

// Grouped list of every layer kind from the registry; drag onto the canvas, or click to add.
// The search box filters it; Enter adds the first match.
function PaletteImpl({ kinds, looks, onAdd }) {
  const [query, setQuery] = useState("");
  const shown = kinds.filter((k) => rank(k, query) !== null);
  const best = shown.reduce((a, k) => (a && rank(a, query) <= rank(k, query) ? a : k), null);
  const groups = [];
  const byGroup = new Map();
  for (const k of shown) {
    if (!byGroup.has(k.group)) {
      byGroup.set(k.group, []);
      groups.push(k.group);
    }
    byGroup.get(k.group).push(k);
  }
  return (
    <div className="nb-palette" data-palette>
      <input
        className="nb-palette-search"
        data-palette-search
        type="search"
        placeholder="Search layers…"
        aria-label="Search layers"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && best) {
            e.preventDefault();
            onAdd(best.type);
            setQuery("");
          } else if (e.key === "Escape") {
            setQuery("");
          }
        }}
      />
      {groups.length === 0 ? <div className="nb-palette-none">No layer matches.</div> : null}
      {groups.map((g) => (
        <div key={g} className="nb-palette-group">
          <div className="nb-palette-title">{g}</div>
          {byGroup.get(g).map((k) => {
            const look = groupLook(looks, k.group);
            return (
              <div
                key={k.type}
                className="nb-palette-item"
                style={{ "--nb-group": look.color }}
                data-palette-item={k.type}
                title={k.help}
                draggable
                onDragStart={(e) => {
                  e.dataTransfer.setData(KIND_MIME, k.type);
                  e.dataTransfer.setData("text/plain", k.type);
                  e.dataTransfer.effectAllowed = "move";
                }}
                onClick={() => onAdd(k.type)}
              >
                <span className="nb-node-icon" aria-hidden="true">
                  {look.icon}
                </span>
                {k.type}
              </div>
            );
          })}
        </div>
      ))}
    </div>
  );
}

export const Palette = memo(PaletteImpl);
