/**
 * Text → the line it was first seen on, for millions of keys without millions of heap objects:
 * each key's line, length and UTF-8 bytes one after another in 1 MB chunks, and an
 * open-addressing table of where each entry starts. A 1,000,000-row CSV has about 3,000,000 user
 * names, addresses and phones to check later rows against; as Map<string, number> they took
 * ~250 MB of heap, and the garbage collector let the process grow to twice that. Here a key costs
 * its bytes, 6 bytes of line and length beside them and 8–16 bytes of table, outside the
 * collected heap (entry arrays beside the chunks cost 10–15 bytes more a key: 141 MB in all for
 * the bench's million rows, 22 MB of it theirs). Exact: keys are compared byte for byte, never by
 * hash alone.
 */
const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;
/** Before each key's bytes: its line (4 bytes) and its length in bytes (2). */
const HEAD = 6;
/** Longer keys (at most 3 bytes a UTF-16 unit must fit a chunk's tail) go in a plain Map: rare. */
const LONGEST = 1365;

export class LineIndex {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes used in the last chunk. */
  private used = CHUNK;
  /** In each slot, where an entry starts (chunk number << CHUNK_BITS | offset in it) + 1; 0 is empty. */
  private slots: Uint32Array = new Uint32Array(1 << 10);
  private count = 0;
  private readonly long = new Map<string, number>();
  private readonly encoder = new TextEncoder();

  /** The line `key` was first seen on; undefined the first time, and then it is kept with `line`. */
  firstSeen(key: string, line: number): number | undefined {
    if (key.length > LONGEST) {
      const earlier = this.long.get(key);
      if (earlier === undefined) this.long.set(key, line);
      return earlier;
    }
    if (this.used + HEAD + key.length * 3 > CHUNK) {
      this.chunks.push(new Uint8Array(CHUNK));
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1] as Uint8Array;
    const start = this.used;
    // The key is written where its entry would go: kept if it is new, overwritten otherwise.
    const { written } = this.encoder.encodeInto(key, chunk.subarray(start + HEAD));
    const mask = this.slots.length - 1;
    for (let slot = fnv1a(chunk, start + HEAD, written) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) break;
      const at = entry - 1;
      const other = this.chunks[at >>> CHUNK_BITS] as Uint8Array;
      const o = at & (CHUNK - 1);
      if (sameBytes(other, o, chunk, start + HEAD, written)) return lineAt(other, o);
    }
    chunk[start] = line & 0xff;
    chunk[start + 1] = (line >>> 8) & 0xff;
    chunk[start + 2] = (line >>> 16) & 0xff;
    chunk[start + 3] = (line >>> 24) & 0xff;
    chunk[start + 4] = written & 0xff;
    chunk[start + 5] = written >>> 8;
    this.used += HEAD + written;
    this.count++;
    const entry = (((this.chunks.length - 1) << CHUNK_BITS) | start) >>> 0;
    if (this.count * 2 > this.slots.length) {
      const old = this.slots;
      this.slots = new Uint32Array(old.length * 2);
      for (const e of old) if (e !== 0) this.place(e - 1);
    }
    this.place(entry);
    return undefined;
  }

  private place(entry: number): void {
    const chunk = this.chunks[entry >>> CHUNK_BITS] as Uint8Array;
    const at = entry & (CHUNK - 1);
    const mask = this.slots.length - 1;
    let slot = fnv1a(chunk, at + HEAD, lengthAt(chunk, at)) & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = entry + 1;
  }
}

function lineAt(chunk: Uint8Array, at: number): number {
  return (
    ((chunk[at] as number) |
      ((chunk[at + 1] as number) << 8) |
      ((chunk[at + 2] as number) << 16) |
      ((chunk[at + 3] as number) << 24)) >>>
    0
  );
}

function lengthAt(chunk: Uint8Array, at: number): number {
  return (chunk[at + 4] as number) | ((chunk[at + 5] as number) << 8);
}

/** Whether the entry at `at` holds the `length` bytes from `start` of `bytes`. */
function sameBytes(chunk: Uint8Array, at: number, bytes: Uint8Array, start: number, length: number): boolean {
  if (lengthAt(chunk, at) !== length) return false;
  for (let i = 0; i < length; i++) if (chunk[at + HEAD + i] !== bytes[start + i]) return false;
  return true;
}

/** 32-bit FNV-1a of `length` bytes from `start`. */
function fnv1a(bytes: Uint8Array, start: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < start + length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
