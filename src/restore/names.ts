/** The longest search query: longer text is cut to this many characters (the search field's limit too). */
export const QUERY_MAX = 200;

/** Addresses compare case-insensitively everywhere: stored and looked up lower-cased. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

// Characters Entra ID allows in the local part of a user principal name.
const LOCAL_PART = /^[A-Za-z0-9'._!#^~-]{1,64}$/;
const BARE_USER_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Why a new user name cannot be used, or null when its form is fine. Whether it is free is a
 * database question, answered by the plan.
 */
export function userNameProblem(name: string, domains: readonly string[]): string | null {
  if (name.trim() !== name || name.length === 0) return "The user name is empty or has spaces around it.";
  const at = name.lastIndexOf("@");
  if (at < 0) {
    if (domains.length > 0) return `The user name needs a domain: one of ${domains.join(", ")}.`;
    return BARE_USER_ID.test(name)
      ? null
      : "Use only letters, digits, dots, dashes and underscores (at most 64).";
  }
  const local = name.slice(0, at);
  const domain = name.slice(at + 1).toLowerCase();
  if (!LOCAL_PART.test(local)) {
    return "Before the @ use only letters, digits and . _ - ' ! # ^ ~ (at most 64).";
  }
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    return "The part before the @ cannot start or end with a dot or have two dots in a row.";
  }
  if (domains.length > 0 && !domains.includes(domain)) {
    return `${domain} is not a domain of this directory: use one of ${domains.join(", ")}.`;
  }
  if (domains.length === 0 && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain))
    return `${domain} is not a domain.`;
  return null;
}
