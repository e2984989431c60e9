/**
 * The layout, checked (npm run check): dependencies point one way, slack/ and cli/ → restore/ (the
 * service) → accounts/, mirror/, import/, providers/, db/; providers/ knows no database and no
 * domain; Block Kit builders stay pure. See README.md, "Layout".
 *
 * Parsed with swc: dependency-cruiser reads TypeScript through the compiler's API, which
 * TypeScript 7 no longer ships. swc does not tell `import type` apart, so a type import counts as
 * a dependency here; adapters take the domain's types from restore/types.ts (type-only re-exports,
 * erased at run time) rather than from the modules that produce them.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "A cycle means two modules cannot be read, tested or moved apart.",
      from: {},
      to: { circular: true },
    },
    {
      name: "providers-know-no-database-or-domain",
      severity: "error",
      comment: "Connectors are HTTP and mapping only: testable with nock, no database, no rules.",
      from: { path: "^src/providers/" },
      to: { path: "^src/(db|restore|accounts|mirror|import)/" },
    },
    {
      name: "adapters-go-through-the-service",
      severity: "error",
      comment: "The Slack layer and the CLI reach data through the restore service, never the database.",
      from: { path: "^src/(slack|cli)/" },
      to: { path: "^src/db/" },
    },
    {
      name: "blocks-are-pure",
      severity: "error",
      comment:
        "Block Kit builders take plain values and return JSON: only other builders, pure helpers and types " +
        "(the translator a builder is handed is one: catalogs in, text out).",
      from: { path: "^src/slack/blocks/" },
      to: {
        path: "^src/",
        pathNot: [
          "^src/slack/blocks/",
          "^src/restore/(access|ids|names|outcome|plan-types|types|window)\\.ts$",
          "^src/i18n/",
        ],
      },
    },
    {
      name: "nothing-below-imports-the-adapters",
      severity: "error",
      comment:
        "The domain and what it stands on know nothing of Slack or the terminal. One known exception: " +
        "digest/send.ts renders the digest's Block Kit when it queues it (the outbox stores the message); " +
        "rendering it at send time, as the other notices are, would remove it.",
      from: {
        path: "^src/(restore|accounts|mirror|import|providers|db|digest|outbox|schedule)/",
        pathNot: "^src/digest/send\\.ts$",
      },
      to: { path: "^src/(slack|cli)/" },
    },
    {
      name: "nothing-below-imports-the-service",
      severity: "error",
      comment: "The service is the front door; what it delegates to never calls back through it.",
      from: { path: "^src/(accounts|mirror|import|providers|db)/" },
      to: { path: "^src/restore/service\\.ts$" },
    },
    {
      name: "accounts-depend-only-on-db",
      severity: "error",
      comment: "The one place that writes account rows is below both the domain and the adapters.",
      from: { path: "^src/accounts/" },
      to: { path: "^src/", pathNot: ["^src/accounts/", "^src/db/", "^src/providers/capabilities\\.ts$"] },
    },
  ],
  options: {
    parser: "swc",
    doNotFollow: { path: "node_modules" },
    includeOnly: "^src/",
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
