// How each registry group looks on the canvas: a colour and a one-character icon (plain text).
// A group this table does not know (a kind added later) gets the neutral look, never an error.
const GROUPS = {
  "Input/Output": { color: "#2e8540", icon: "⇥" },
  Core: { color: "#1f6fd1", icon: "▦" },
  Convolution: { color: "#7b3fbf", icon: "⊞" },
  Pooling: { color: "#0a8a96", icon: "▼" },
  Recurrent: { color: "#d9730d", icon: "↻" },
  Merge: { color: "#c2327a", icon: "⊕" },
  Regularization: { color: "#8a6d3b", icon: "≈" },
};
const NEUTRAL = { color: "#6b7280", icon: "●" };

export const groupLook = (group) => GROUPS[group] || NEUTRAL;
