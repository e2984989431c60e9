import { describe, expect, it } from "vitest";
import { LineIndex } from "../src/import/line-index.ts";

describe("LineIndex", () => {
  it("gives the line a key was first seen on, byte for byte, across growth", () => {
    const index = new LineIndex();
    const n = 120_000; // more than one 1 MB chunk of key text
    for (let i = 0; i < n; i++) expect(index.firstSeen(`user${i}@example.com`, i + 2)).toBeUndefined();
    for (let i = 0; i < n; i += 997) expect(index.firstSeen(`user${i}@example.com`, n + 10)).toBe(i + 2);
    // Near misses are different keys; characters beyond ASCII are kept whole.
    expect(index.firstSeen("user1@example.co", 1)).toBeUndefined();
    expect(index.firstSeen("user1@example.comm", 1)).toBeUndefined();
    expect(index.firstSeen("zoë@exämple.com", 7)).toBeUndefined();
    expect(index.firstSeen("zoe@example.com", 8)).toBeUndefined();
    expect(index.firstSeen("zoë@exämple.com", 9)).toBe(7);
    expect(index.firstSeen("", 3)).toBeUndefined();
    expect(index.firstSeen("", 4)).toBe(3);
    // Lines of a file with tens of millions of them.
    expect(index.firstSeen("late@example.com", 40_000_123)).toBeUndefined();
    expect(index.firstSeen("late@example.com", 40_000_124)).toBe(40_000_123);
    // A very long key is kept too.
    const long = `${"x".repeat(5_000)}@example.com`;
    expect(index.firstSeen(long, 11)).toBeUndefined();
    expect(index.firstSeen(long, 12)).toBe(11);
  });
});
