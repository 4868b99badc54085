import { memo } from "react";

export const KIND_MIME = "application/x-netbuilder-kind";

// Grouped list of every layer kind from the registry; drag onto the canvas, or click to add.
function PaletteImpl({ kinds, onAdd }) {
  const groups = [];
  const byGroup = new Map();
  for (const k of kinds) {
    if (!byGroup.has(k.group)) {
      byGroup.set(k.group, []);
      groups.push(k.group);
    }
    byGroup.get(k.group).push(k);
  }
  return (
    <div className="nb-palette" data-palette>
      {groups.map((g) => (
        <div key={g} className="nb-palette-group">
          <div className="nb-palette-title">{g}</div>
          {byGroup.get(g).map((k) => (
            <div
              key={k.type}
              className="nb-palette-item"
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
              {k.type}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}

export const Palette = memo(PaletteImpl);
