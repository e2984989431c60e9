import { describe, expect, it } from "vitest";
import { printable, printableDeep, terminalJson } from "../src/cli/printable.ts";

describe("terminal-safe text", () => {
  it("shows what a terminal would act on as visible escapes, and leaves other text alone", () => {
    expect(printable("María \u001b[31mGarcía\u0007\t\u007f")).toBe("María \\x1b[31mGarcía\\x07\\x09\\x7f");
    // An override that would make "gpj.exe" read as "exe.jpg", and a line separator.
    expect(printable("report\u202egpj.exe\u2028x")).toBe("report\\u202egpj.exe\\u2028x");
    expect(printable("李小龍 O'Brien-Smith")).toBe("李小龍 O'Brien-Smith");
  });

  it("reaches every string of a result and keeps its dates", () => {
    const at = new Date("2026-11-22T12:00:00Z");
    expect(printableDeep({ items: [{ name: "a\nb", at, days: 3, by: null }] })).toEqual({
      items: [{ name: "a\\x0ab", at, days: 3, by: null }],
    });
  });

  it("escapes in JSON what JSON.stringify leaves raw, and parses back to the same string", () => {
    const name = "\u009b2J\u001bEve\u202e";
    const json = terminalJson(JSON.stringify({ name }));
    expect(json).toBe('{"name":"\\u009b2J\\u001bEve\\u202e"}');
    expect(JSON.parse(json).name).toBe(name);
  });
});
