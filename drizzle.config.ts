import { defineConfig } from "drizzle-kit";

// Only `drizzle-kit generate` uses this: it diffs src/db/schema.ts against drizzle/ and needs no database.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});
