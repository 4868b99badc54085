import { memo, useState } from "react";
import { groupLook } from "./groups.js";

export const KIND_MIME = "application/x-netbuilder-kind";

export function matches(kind, query) {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [kind.type, kind.group, kind.help].some((t) => (t || "").toLowerCase().includes(q));
}

// Grouped list of every layer kind from the registry; drag onto the canvas, or click to add.
// The search box filters it; Enter adds the first match.
function PaletteImpl({ kinds, onAdd }) {
  const [query, setQuery] = useState("");
  const shown = kinds.filter((k) => matches(k, query));
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
          if (e.key === "Enter" && shown.length) {
            e.preventDefault();
            onAdd(shown[0].type);
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
            const look = groupLook(k.group);
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
