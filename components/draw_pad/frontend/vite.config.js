import { defineConfig } from "vite";

// Library build: one ES module (draw_pad.js) in dist/, served by Streamlit from the
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
      fileName: () => "draw_pad.js",
    },
    rolldownOptions: { output: { minify: true } },
  },
});
