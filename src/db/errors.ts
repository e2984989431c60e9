/** Both drivers report Postgres errors with a SQLSTATE `code`, sometimes wrapped in a `cause`. */
function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A unique index said no: the database's last word on "taken". */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === "23505";
}

/** The name of the constraint or index that refused, when the driver tells. */
export function constraintOf(error: unknown): string {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const c = e as { constraint_name?: unknown; constraint?: unknown };
    const name = c.constraint_name ?? c.constraint;
    if (typeof name === "string") return name;
  }
  return "";
}
