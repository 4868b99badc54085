import { defineConfig } from "vite";

// Library build: one ES module (canvas.js) and one stylesheet (canvas.css) in dist/,
// served by Streamlit from the component's asset_dir. File names carry no hash so the
// committed bundle is byte-for-byte reproducible from source.
export default defineConfig({
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: "src/index.jsx",
      formats: ["es"],
      fileName: () => "canvas.js",
      cssFileName: "canvas",
    },
    rolldownOptions: {
      output: { minify: true },
      onwarn(warning, warn) {
        // React Flow ships "use client" directives, meaningless in a browser bundle.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
});
