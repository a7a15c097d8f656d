import { defineConfig } from "vitest/config";

// The vitest configuration Stryker runs (stryker.config.json): the pure
// modules' tests need no DOM, and without happy-dom each of the thousand
// mutant runs is several times faster.
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
  },
});
