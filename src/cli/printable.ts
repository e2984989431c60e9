/**
 * Text from a directory or a user, made safe for a terminal. ESC starts sequences that clear the
 * screen, move the cursor or retitle the window (BEL ends some); C1 characters do the same on some
 * terminals; a newline or tab inside a name forges lines and columns; bidirectional overrides make
 * a name read backwards. Each is shown as a visible escape (`\x1b`, `\u202e`), so an admin sees
 * that a name holds one instead of having it acted on.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw: it escapes only C0 (and quotes and backslashes). */
const JSON_RAW = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function hex(char: string, digits: number): string {
  return (char.codePointAt(0) ?? 0).toString(16).padStart(digits, "0");
}

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => (c <= "\u00ff" ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** Every string in a result made printable; dates and numbers are left as they are. */
export function printableDeep<T>(value: T): T {
  if (typeof value === "string") return printable(value) as T;
  if (Array.isArray(value)) return value.map(printableDeep) as T;
  if (value && typeof value === "object" && isPlain(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printableDeep(v)])) as T;
  }
  return value;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * JSON for a terminal and a parser alike: the characters JSON.stringify leaves raw become `\u`
 * escapes, which parse back to the same string. They can only occur inside strings.
 */
export function terminalJson(json: string): string {
  return json.replace(JSON_RAW, (c) => `\\u${hex(c, 4)}`);
}
