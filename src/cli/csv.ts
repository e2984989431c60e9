import type { AuditEvent } from "../restore/types.ts";

// Machine output, apart from the human formatters (format.ts): the same in every language.

const CSV_COLUMNS = [
  "id",
  "at",
  "actor",
  "action",
  "directory_id",
  "account_ids",
  "request_id",
  "before",
  "after",
  "details",
];

function csvCell(value: unknown): string {
  const text =
    value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  // Quote everything that could break a row, and defuse spreadsheet formulas.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The audit trail as CSV: for spreadsheets and scripts, so never translated. */
export function auditCsv(events: AuditEvent[]): string {
  const rows = events.map((e) =>
    [
      e.id,
      e.at.toISOString(),
      e.actor,
      e.action,
      e.directoryId,
      e.accountIds.join(" "),
      e.requestId,
      e.before,
      e.after,
      e.details,
    ]
      .map(csvCell)
      .join(","),
  );
  return [CSV_COLUMNS.join(","), ...rows].join("\n");
}
