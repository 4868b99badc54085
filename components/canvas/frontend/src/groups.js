// How each layer group looks on the canvas comes from the registry (builder/layers/registry.py),
// sent by Python as data.groups: [{name, color, icon}]. Nothing about a group is written here.
// A group the data does not name gets the neutral look, never an error.
const NEUTRAL = { color: "#6b7280", icon: "●" };

// The looks by group name, from the list Python sends.
export const groupLooks = (groups) =>
  Object.fromEntries((groups || []).map((g) => [g.name, { color: g.color, icon: g.icon }]));

export const groupLook = (looks, group) => (looks && looks[group]) || NEUTRAL;
