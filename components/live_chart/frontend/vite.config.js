import { defineConfig } from "vite";

// Library build: one ES module (live_chart.js) in dist/, served by Streamlit from the
// component's asset_dir. No hash in the name, so the committed bundle is reproducible.
export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: "src/index.js",
      formats: ["es"],
      fileName: () => "live_chart.js",
    },
    rolldownOptions: { output: { minify: true } },
  },
});
