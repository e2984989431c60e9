/**
 * Directory ids and their names, for screens that say where an account lives, read from the
 * database at most once per `ttlMs`. Every search and plan screen names directories, so under
 * load that read was a third of a command's queries; a directory is only ever added (an import
 * into a new one, a provider's first sync), so a screen shows its id instead of its name for a
 * moment at worst. Concurrent callers share one read; a failed read is not kept.
 */
export class DirectoryNames {
  private cached: { at: number; names: Promise<Record<string, string>> } | null = null;

  constructor(
    private readonly read: () => Promise<Record<string, string>>,
    private readonly ttlMs = DIRECTORY_NAMES_TTL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<Record<string, string>> {
    const at = this.now();
    if (this.cached && at - this.cached.at < this.ttlMs) return this.cached.names;
    const names = this.read();
    const entry = { at, names };
    this.cached = entry;
    names.catch(() => {
      if (this.cached === entry) this.cached = null;
    });
    return names;
  }

  /** The next get reads again (this process added a directory). */
  forget(): void {
    this.cached = null;
  }
}

export const DIRECTORY_NAMES_TTL_MS = 2000;
