/**
 * The shapes the domain hands to its adapters (Slack, the CLI): type-only re-exports, erased at run
 * time, so the adapters and the pure Block Kit builders read results without importing the database
 * or the code that produces them (the layout rules in .dependency-cruiser.cjs check it).
 */
export type { AuditEvent, RestoreChoicesRecord, RestoreRequest } from "../db/schema.ts";
export type { Digest, DigestAccount, DigestGroup, DigestPendingApproval } from "../digest/build.ts";
export type { ImportSummary } from "../import/import.ts";
export type { ImportProblem } from "../import/import-file.ts";
export type { SyncResult } from "../mirror/sync.ts";
export type { AttentionItem } from "./audit.ts";
export type { RestoreDone } from "./execute.ts";
export type { Refreshed } from "./refresh.ts";
export type { DeletedAccountView, SearchResult } from "./search.ts";
