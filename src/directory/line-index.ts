/**
 * Text → the line it was first seen on, for millions of keys without millions of heap objects:
 * the keys' UTF-8 bytes in one growing buffer and an open-addressing table of entries into it.
 * A 1,000,000-row CSV has about 3,000,000 user names, addresses and phones to check later rows
 * against; as Map<string, number> they took ~250 MB of heap, and the garbage collector let the
 * process grow to twice that. Here a key costs its bytes and ~30 bytes of typed arrays, outside
 * the collected heap. Exact: keys are compared byte for byte, never by hash alone.
 */
export class LineIndex {
  private bytes: Uint8Array = new Uint8Array(1 << 16);
  private used = 0;
  /** Entry number + 1 in each slot; 0 is empty. */
  private slots: Uint32Array = new Uint32Array(1 << 10);
  private offsets: Uint32Array = new Uint32Array(1 << 9);
  private lengths: Uint32Array = new Uint32Array(1 << 9);
  private hashes: Uint32Array = new Uint32Array(1 << 9);
  private lines: Uint32Array = new Uint32Array(1 << 9);
  private count = 0;
  private readonly encoder = new TextEncoder();

  /** The line `key` was first seen on; undefined the first time, and then it is kept with `line`. */
  firstSeen(key: string, line: number): number | undefined {
    // Room for the key's bytes at the end of the buffer (at most 3 a UTF-16 unit).
    this.bytes = grown(this.bytes, this.used + key.length * 3);
    const { written } = this.encoder.encodeInto(key, this.bytes.subarray(this.used));
    const start = this.used;
    const hash = fnv1a(this.bytes, start, written);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) break;
      const e = entry - 1;
      if (this.hashes[e] === hash && this.sameBytes(e, start, written)) return this.lines[e];
    }
    // New: keep its bytes where they were written, and an entry for it.
    const e = this.count++;
    if (e >= this.offsets.length) {
      const size = this.offsets.length * 2;
      this.offsets = resized(this.offsets, size);
      this.lengths = resized(this.lengths, size);
      this.hashes = resized(this.hashes, size);
      this.lines = resized(this.lines, size);
    }
    this.offsets[e] = start;
    this.lengths[e] = written;
    this.hashes[e] = hash;
    this.lines[e] = line;
    this.used += written;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(e);
    return undefined;
  }

  private sameBytes(e: number, start: number, length: number): boolean {
    if (this.lengths[e] !== length) return false;
    const at = this.offsets[e] as number;
    for (let i = 0; i < length; i++) if (this.bytes[at + i] !== this.bytes[start + i]) return false;
    return true;
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let slot = (this.hashes[e] as number) & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = e + 1;
  }

  private rehash(size: number): void {
    this.slots = new Uint32Array(size);
    for (let e = 0; e < this.count; e++) this.place(e);
  }
}

function grown(bytes: Uint8Array, needed: number): Uint8Array {
  if (needed <= bytes.length) return bytes;
  let size = bytes.length * 2;
  while (size < needed) size *= 2;
  const next = new Uint8Array(size);
  next.set(bytes);
  return next;
}

function resized(array: Uint32Array, size: number): Uint32Array {
  const next = new Uint32Array(size);
  next.set(array);
  return next;
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
