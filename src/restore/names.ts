import { type Said, said } from "../i18n/said.ts";

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
export function userNameProblem(name: string, domains: readonly string[]): Said | null {
  if (name.trim() !== name || name.length === 0) return said("choice.userName.blank");
  const at = name.lastIndexOf("@");
  if (at < 0) {
    if (domains.length > 0) return said("choice.userName.needsDomain", { domains: domains.join(", ") });
    return BARE_USER_ID.test(name) ? null : said("choice.userName.characters");
  }
  const local = name.slice(0, at);
  const domain = name.slice(at + 1).toLowerCase();
  if (!LOCAL_PART.test(local)) return said("choice.userName.localCharacters");
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    return said("choice.userName.dots");
  }
  if (domains.length > 0 && !domains.includes(domain)) {
    return said("choice.userName.otherDomain", { domain, domains: domains.join(", ") });
  }
  if (domains.length === 0 && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain))
    return said("choice.userName.notDomain", { domain });
  return null;
}
