import { describe, expect, it } from "vitest";
import { importProgress, progressLine } from "../src/cli/progress.ts";

describe("the import's progress line", () => {
  it("says what is validated, loaded, how fast and how long is left", () => {
    expect(progressLine({ validated: 100_000, loaded: 40_000, total: 100_000, elapsedMs: 4_000 })).toBe(
      "Import: 100,000 rows validated, 40,000 of 100,000 loaded, 10,000 rows/s, about 6 s left",
    );
  });

  it("redraws at most four times a second, always the last page, and clears itself at the end", () => {
    let clock = 0;
    const drawn: string[] = [];
    const progress = importProgress(
      (line) => drawn.push(line),
      () => clock,
    );
    progress.validated(30_000);
    for (let done = 5_000; done <= 30_000; done += 5_000) {
      clock += 100; // a page every 100 ms
      progress.loaded(done, 30_000);
    }
    progress.done();
    expect(drawn).toEqual([
      "Import: 30,000 rows validated",
      "Import: 30,000 rows validated, 15,000 of 30,000 loaded, 50,000 rows/s, about 1 s left",
      "Import: 30,000 rows validated, 30,000 of 30,000 loaded, 50,000 rows/s, finishing",
      "",
    ]);
  });

  it("for a file read as a stream, says what is validated and loaded so far and how fast, without a total", () => {
    let clock = 0;
    const drawn: string[] = [];
    const progress = importProgress(
      (line) => drawn.push(line),
      () => clock,
    );
    progress.streamed(0, 0); // as the file is opened
    clock = 100;
    progress.streamed(6_000, 5_000); // too soon after the last redraw
    clock = 1_000;
    progress.streamed(12_000, 10_000);
    progress.done();
    expect(drawn).toEqual([
      "Import: 0 rows validated, 0 loaded",
      "Import: 12,000 rows validated, 10,000 loaded, 10,000 rows/s",
      "",
    ]);
  });
});
