import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file opens its own database (PGlite or a fresh database on the server): allow for start-up.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
