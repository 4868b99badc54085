// Entry point called by Streamlit components v2, again whenever `data` changes.
// One Plotly graph per parentElement, updated in place with Plotly.react: only the traces
// that changed are redrawn, where a fresh chart per update would rebuild the whole SVG and
// take the CPU the training needs.
import Plotly from "plotly.js-cartesian-dist-min";

const graphs = new WeakMap();

function graphFor(parentElement) {
  let entry = graphs.get(parentElement);
  if (!entry) {
    const div = document.createElement("div");
    div.className = "nb-live-chart";
    parentElement.appendChild(div);
    entry = { div, spec: null, generation: 0 };
    graphs.set(parentElement, entry);
  }
  return entry;
}

export default function mountLiveChart(component) {
  const { parentElement, data } = component;
  const entry = graphFor(parentElement);
  entry.generation += 1;
  const generation = entry.generation;
  const spec = (data && data.spec) || null;
  if (spec && spec !== entry.spec) {
    entry.spec = spec;
    const figure = JSON.parse(spec);
    const config = { responsive: true, ...(data.config || {}) };
    Plotly.react(entry.div, figure.data || [], figure.layout || {}, config);
  }
  // Streamlit may call this cleanup while a newer call already drew into the same graph;
  // free the graph only when the element really left the page.
  return () => {
    setTimeout(() => {
      if (entry.generation === generation && !entry.div.isConnected) {
        Plotly.purge(entry.div);
        graphs.delete(parentElement);
      }
    }, 0);
  };
}
