import { defineConfig } from "vitest/config";

// base "./": the component is served from a sub-path of the Streamlit app.
// Fixed file names and no build metadata keep the build byte-identical for
// the same source (the test command checks the committed dist against a fresh build).
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: false,
    target: "es2020",
    rollupOptions: {
      output: {
        entryFileNames: "assets/index.js",
        chunkFileNames: "assets/[name].js",
        assetFileNames: "assets/[name][extname]",
      },
    },
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
