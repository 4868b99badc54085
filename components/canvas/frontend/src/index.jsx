// Entry point called by Streamlit components v2. Streamlit calls the default export
// again whenever `data` changes: keep one React root per parentElement and re-render
// it, never remount (remounting would drop the editor's local state mid-edit).
import { createRoot } from "react-dom/client";
import { Editor } from "./Editor.jsx";
import "@xyflow/react/dist/style.css";
import "./canvas.css";

const roots = new WeakMap();

export default function mountCanvas(component) {
  const { parentElement, data, setStateValue, setTriggerValue } = component;
  let entry = roots.get(parentElement);
  if (!entry) {
    const container = document.createElement("div");
    container.className = "nb-host";
    parentElement.appendChild(container);
    entry = { root: createRoot(container), container, generation: 0 };
    roots.set(parentElement, entry);
  }
  entry.generation += 1;
  const generation = entry.generation;
  entry.root.render(
    <Editor data={data || {}} setStateValue={setStateValue} setTriggerValue={setTriggerValue} />,
  );
  // Streamlit may call this cleanup while a newer call is already rendering into the
  // same root; unmount only when the element really left the page.
  return () => {
    setTimeout(() => {
      const host = parentElement.host || parentElement;
      if (entry.generation === generation && !host.isConnected) {
        entry.root.unmount();
        roots.delete(parentElement);
      }
    }, 0);
  };
}
