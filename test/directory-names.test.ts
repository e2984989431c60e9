/**
 * Screens name directories from a list read at most every 2 s: a directory added elsewhere is
 * named within that, one added by this process (forget) at once, and a failed read is not kept.
 */
import { describe, expect, it } from "vitest";
import { DIRECTORY_NAMES_TTL_MS, DirectoryNames } from "../src/restore/directory-names.ts";

function listing() {
  const state = { now: 0, reads: 0, fail: false, names: { builtin: "Built-in" } as Record<string, string> };
  const names = new DirectoryNames(
    async () => {
      state.reads++;
      if (state.fail) throw new Error("database gone");
      return { ...state.names };
    },
    DIRECTORY_NAMES_TTL_MS,
    () => state.now,
  );
  return { state, names };
}

describe("directory names for screens", () => {
  it("are read once for many screens, and a new directory is named once the list is 2 s old", async () => {
    const { state, names } = listing();
    const first = await Promise.all([names.get(), names.get(), names.get()]);
    expect(first).toEqual([{ builtin: "Built-in" }, { builtin: "Built-in" }, { builtin: "Built-in" }]);
    state.names.okta = "Okta";
    state.now = DIRECTORY_NAMES_TTL_MS - 1;
    expect(await names.get()).toEqual({ builtin: "Built-in" });
    state.now = DIRECTORY_NAMES_TTL_MS;
    expect(await names.get()).toEqual({ builtin: "Built-in", okta: "Okta" });
    expect(state.reads).toBe(2);
  });

  it("are read again at once after forget (this process added a directory)", async () => {
    const { state, names } = listing();
    await names.get();
    state.names.contractors = "Contractors";
    names.forget();
    expect(await names.get()).toEqual({ builtin: "Built-in", contractors: "Contractors" });
  });

  it("do not keep a failed read: the next screen asks the database again", async () => {
    const { state, names } = listing();
    state.fail = true;
    await expect(names.get()).rejects.toThrow("database gone");
    state.fail = false;
    expect(await names.get()).toEqual({ builtin: "Built-in" });
    expect(state.reads).toBe(2);
  });
});
