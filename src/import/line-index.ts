/**
 * Text → the line it was first seen on, for millions of keys without millions of heap objects:
 * the keys' UTF-8 bytes in 1 MB chunks and an open-addressing table of entries into them.
 * A 1,000,000-row CSV has about 3,000,000 user names, addresses and phones to check later rows
 * against; as Map<string, number> they took ~250 MB of heap, and the garbage collector let the
 * process grow to twice that. Here a key costs its bytes and ~18 bytes of typed arrays, outside
 * the collected heap. Exact: keys are compared byte for byte, never by hash alone.
 */
const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;
/** Longer keys (at most 3 bytes a UTF-16 unit must fit a chunk's tail) go in a plain Map: rare. */
const LONGEST = 1365;

export class LineIndex {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes used in the last chunk. */
  private used = CHUNK;
  /** Entry number + 1 in each slot; 0 is empty. */
  private slots: Uint32Array = new Uint32Array(1 << 10);
  /** Where each entry's bytes start: chunk number << CHUNK_BITS | offset in it. */
  private offsets: Uint32Array = new Uint32Array(1 << 9);
  private lengths: Uint16Array = new Uint16Array(1 << 9);
  private lines: Uint32Array = new Uint32Array(1 << 9);
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
    if (this.used + key.length * 3 > CHUNK) {
      this.chunks.push(new Uint8Array(CHUNK));
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1] as Uint8Array;
    const start = this.used;
    const { written } = this.encoder.encodeInto(key, chunk.subarray(start));
    const mask = this.slots.length - 1;
    for (let slot = fnv1a(chunk, start, written) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) break;
      if (this.sameBytes(entry - 1, chunk, start, written)) return this.lines[entry - 1];
    }
    // New: keep its bytes where they were written, and an entry for it.
    const e = this.count++;
    if (e >= this.offsets.length) {
      const size = Math.ceil(this.offsets.length * 1.5);
      this.offsets = resized(this.offsets, new Uint32Array(size));
      this.lengths = resized(this.lengths, new Uint16Array(size));
      this.lines = resized(this.lines, new Uint32Array(size));
    }
    this.offsets[e] = ((this.chunks.length - 1) << CHUNK_BITS) | start;
    this.lengths[e] = written;
    this.lines[e] = line;
    this.used += written;
    if (this.count * 2 > this.slots.length) {
      this.slots = new Uint32Array(this.slots.length * 2);
      for (let i = 0; i < this.count; i++) this.place(i);
    } else {
      this.place(e);
    }
    return undefined;
  }

  private bytesOf(e: number): { chunk: Uint8Array; at: number; length: number } {
    const offset = this.offsets[e] as number;
    return {
      chunk: this.chunks[offset >>> CHUNK_BITS] as Uint8Array,
      at: offset & (CHUNK - 1),
      length: this.lengths[e] as number,
    };
  }

  private sameBytes(e: number, chunk: Uint8Array, start: number, length: number): boolean {
    const key = this.bytesOf(e);
    if (key.length !== length) return false;
    for (let i = 0; i < length; i++) if (key.chunk[key.at + i] !== chunk[start + i]) return false;
    return true;
  }

  private place(e: number): void {
    const { chunk, at, length } = this.bytesOf(e);
    const mask = this.slots.length - 1;
    let slot = fnv1a(chunk, at, length) & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = e + 1;
  }
}

function resized<T extends Uint16Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
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
