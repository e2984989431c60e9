/**
 * Writes the demo data set: `demo/accounts.json` (the built-in directory) and
 * `demo/recreate-only.json` (a directory that can only re-create). Deterministic: a seeded PRNG,
 * and every time is relative to RELATIVE_TO, which the importer shifts to "now" on load.
 *
 *   npx tsx demo/generate.ts
 *
 * The scenarios an admin can try are listed in demo/README.md; test/import-file.test.ts checks
 * that the committed files are what this script writes and that every scenario is in them.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseImportFile } from "../src/import/import-file.ts";

export const RELATIVE_TO = "2026-11-22T12:00:00Z";
const BASE = Date.parse(RELATIVE_TO);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The built-in directory's window; the recreate-only directory declares its own. */
const RETENTION_DAYS = 30;

export interface DemoAccount {
  external_id: string;
  user_name: string;
  email?: string;
  display_name: string;
  given_name?: string;
  family_name?: string;
  department?: string;
  phone?: string;
  aliases?: string[];
  status: "active" | "deleting" | "deleted";
  deleted_at?: string;
  deleted_by?: string;
  deletion_completes_at?: string;
  license?: string;
}

export interface DemoFile {
  relative_to: string;
  directory?: {
    id: string;
    name: string;
    can_restore: boolean;
    retention_days: number | null;
    follow_up: string[];
  };
  domains: string[];
  departments: string[];
  seats: { license: string; total: number }[];
  accounts: DemoAccount[];
}

// ---------------------------------------------------------------------------------------------
// Randomness, seeded

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
  hex(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += Math.floor(this.next() * 16).toString(16);
    return s;
  }
  /** Shaped like a Graph object id. */
  externalId(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.pick(["8", "9", "a", "b"])}${this.hex(3)}-${this.hex(12)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Names, addresses, phones, times

/** A comma-separated list; a name may hold spaces ("van der Berg"). */
const names = (list: string) => list.split(",").map((n) => n.trim());

const FIRST_NAMES = names(`
  Olivia, Liam, Emma, Noah, Aisha, Kwame, Priya, Arjun, Mei, Hiroshi, Yuki, Fatima, Omar, Ana,
  Lucas, Sofia, Mateo, Ingrid, Lars, Amara, Chidi, Nia, Diego, Valentina, Elena, Ivan, Olga,
  Tomasz, Kasia, Hannah, Jonas, Lea, Finn, Maya, Rohan, Ananya, Wei, Jun, Min-jun, Seo-yeon, Minh,
  Sipho, Thandiwe, Rafael, Camila, Leila, Reza, Ciara, Aoife, Niamh, Oisín, Mohammed, Yusuf, Emre,
  Elif, Zoë, Søren, Björn, François, Chloé, José, Ayşe, Renée, Noémie, Jürgen, Małgorzata, Ágnes,
  Íñigo, Siobhán, Seán, Zoltán, Dag, Astrid, Tariq, Nadia, Samuel, Grace, Daniel, Rachel, Ben,
  Laura, Kofi, Ama, Paolo, Giulia, Matteo, Anke, Pieter, Femke, Joon, Hana, Akira, Sakura, Tendai
`);
const LAST_NAMES = names(`
  Müller, Dubois, Martínez, Yılmaz, Søndergaard, Kowalski, Nowak, Schröder, O'Brien, Nguyen, Sato,
  Park, Chen, Wang, Singh, Patel, Mensah, Adeyemi, Silva, Santos, Costa, Rossi, Johansson,
  Andersson, Nielsen, Johnson, Brown, Wilson, Davies, Evans, Thomas, Roberts, Walker, Wright,
  Hughes, Edwards, Green, Hall, Wood, Clarke, Jackson, Lewis, Murphy, Kelly, Byrne, Ryan,
  Fernández, López, Pérez, Gómez, Díaz, Moreno, Álvarez, Jiménez, Horváth, Szabó, Novák, Dvořák,
  Popescu, Ionescu, Petrov, Ivanova, Haddad, Khalil, Rahman, Hossain, Khan, van der Berg, de Vries,
  Jansen, Bakker, Visser, Åström, Lefèvre, Çelik, Þórsson, Lindgren, Mahlangu, Okonkwo, Asante,
  Abe, Kobayashi
`);

/** ASCII for an address: "Łukasz Wróbel" → "lukasz", "wrobel"; "O'Brien" → "obrien". */
function slug(name: string): string {
  const special: Record<string, string> = {
    ł: "l",
    ø: "o",
    æ: "ae",
    ß: "ss",
    đ: "d",
    ı: "i",
    œ: "oe",
    þ: "th",
  };
  return name
    .toLowerCase()
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[łøæßđıœþ]/g, (c) => special[c] ?? c)
    .replace(/[^a-z0-9]/g, "");
}

/** Phone formats as people type them; the importer normalises them. Fictional ranges only. */
function randomPhone(r: Random): string {
  switch (r.int(0, 4)) {
    case 0:
      return `+1 (555) 01${r.int(0, 9)}-${r.int(1000, 9999)}`;
    case 1:
      return `+1 555-01${r.int(0, 9)}-${r.int(1000, 9999)}`;
    case 2:
      return `+44 20 7946 0${r.int(100, 999)}`;
    case 3:
      return `+49 30 ${r.int(1000, 9999)} ${r.int(1000, 9999)}`;
    default:
      return `+31 6 ${r.int(1000, 9999)} ${r.int(1000, 9999)}`;
  }
}

const normalisePhone = (phone: string) => phone.replace(/[\s\-.()]/g, "");

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Deleted so that `daysLeft` whole days of a `retentionDays` window remain at RELATIVE_TO. */
function deletedWithDaysLeft(r: Random, daysLeft: number, retentionDays = RETENTION_DAYS): string {
  return iso(BASE - (retentionDays - daysLeft) * DAY + r.int(1, 22) * HOUR + r.int(0, 59) * 60_000);
}

/** Deleted `days` whole days (and some hours) ago. */
function deletedDaysAgo(r: Random, days: number): string {
  return iso(BASE - days * DAY - r.int(1, 22) * HOUR - r.int(0, 59) * 60_000);
}

// ---------------------------------------------------------------------------------------------
// A directory's accounts, with the bookkeeping that keeps filler accounts free of conflicts

class Builder {
  readonly accounts: DemoAccount[] = [];
  private readonly userNames = new Set<string>();
  private readonly addresses = new Set<string>();
  private readonly phones = new Set<string>();

  constructor(
    readonly r: Random,
    private readonly domain: string,
    private readonly otherDomain: string | null,
  ) {}

  /** A hand-written account: its names, addresses and phone are kept away from filler accounts. */
  add(account: Omit<DemoAccount, "external_id">): DemoAccount {
    const full: DemoAccount = { external_id: this.r.externalId(), ...account };
    this.userNames.add(full.user_name.toLowerCase());
    if (full.email) this.addresses.add(full.email);
    for (const a of full.aliases ?? []) this.addresses.add(a);
    if (full.phone) this.phones.add(normalisePhone(full.phone));
    this.accounts.push(full);
    return full;
  }

  /** A person nobody else in the file shares a user name, address or phone with. */
  filler(
    fields: Pick<DemoAccount, "status" | "deleted_at" | "deleted_by" | "license" | "department">,
  ): DemoAccount {
    const { r } = this;
    for (;;) {
      const given = r.pick(FIRST_NAMES);
      const family = r.pick(LAST_NAMES);
      const local = `${slug(given)}.${slug(family)}`;
      const domain = this.otherDomain && r.chance(0.05) ? this.otherDomain : this.domain;
      const userName = `${local}@${domain}`;
      if (this.userNames.has(userName) || this.addresses.has(userName)) continue;

      let email: string | undefined = userName;
      const roll = r.float();
      if (this.otherDomain && roll < 0.04) email = `${slug(given)}${slug(family)}@${this.otherDomain}`;
      else if (roll < 0.07) email = undefined; // a shared mailbox or a room: no address of its own
      if (email && (this.addresses.has(email) || (email !== userName && this.userNames.has(email)))) continue;

      const aliases: string[] = [];
      if (r.chance(0.25)) {
        const alias = `${slug(given).slice(0, 1)}.${slug(family)}@${this.domain}`;
        if (
          !this.addresses.has(alias) &&
          !this.userNames.has(alias) &&
          alias !== email &&
          alias !== userName
        ) {
          aliases.push(alias);
        }
      }

      let phone: string | undefined;
      if (r.chance(0.8)) {
        phone = randomPhone(r);
        if (this.phones.has(normalisePhone(phone))) continue;
      }

      return this.add({
        user_name: userName,
        ...(email ? { email } : {}),
        display_name: `${given} ${family}`,
        given_name: given,
        family_name: family,
        ...(fields.department ? { department: fields.department } : {}),
        ...(phone ? { phone } : {}),
        ...(aliases.length > 0 ? { aliases } : {}),
        status: fields.status,
        ...(fields.deleted_at ? { deleted_at: fields.deleted_at } : {}),
        ...(fields.deleted_by ? { deleted_by: fields.deleted_by } : {}),
        ...(fields.license ? { license: fields.license } : {}),
      });
    }
  }
}

const ADMINS = ["U0ADMIN1", "U0ADMIN2"];
const deletedBy = (r: Random): string | undefined => (r.chance(0.06) ? undefined : r.pick(ADMINS));

// ---------------------------------------------------------------------------------------------
// demo/accounts.json

const DEPARTMENTS = [
  "Engineering",
  "Sales",
  "Marketing",
  "Finance",
  "Human Resources",
  "Legal",
  "Customer Support",
  "Operations",
  "Product",
  "IT",
];

export function builtInDemo(): DemoFile {
  const r = new Random(20261122);
  const b = new Builder(r, "example.com", "example.org");
  const person = (given: string, family: string) => ({
    display_name: `${given} ${family}`,
    given_name: given,
    family_name: family,
  });
  const active = { status: "active" as const };
  const deleted = (daysLeft: number, by = "U0ADMIN1") => ({
    status: "deleted" as const,
    deleted_at: deletedWithDaysLeft(r, daysLeft),
    deleted_by: by,
  });

  // Names people will look for.
  b.add({
    user_name: "zoe.nunez@example.com",
    email: "zoe.nunez@example.com",
    ...person("Zoë", "Ñúñez"),
    department: "Product",
    phone: "+31 6 2040 6080",
    ...active,
    license: "E3",
  });
  b.add({
    user_name: "lukasz.wrobel@example.com",
    email: "lukasz.wrobel@example.com",
    ...person("Łukasz", "Wróbel"),
    department: "Engineering",
    phone: "+49 30 5550 1212",
    ...active,
    license: "E5",
  });

  // User name taken: an active account now has the deleted account's user name.
  b.add({
    user_name: "maria.garcia@example.com",
    email: "maria.garcia@example.com",
    ...person("María", "García"),
    department: "Sales",
    phone: "+44 20 7946 0411",
    ...deleted(18),
    license: "E3",
  });
  b.add({
    user_name: "maria.garcia@example.com",
    email: "maria.garcia@example.com",
    ...person("Maria", "Garcia"),
    department: "Marketing",
    phone: "+1 555-013-2020",
    ...active,
    license: "E3",
  });
  b.add({
    user_name: "tom.becker@example.com",
    email: "tom.becker@example.com",
    ...person("Tom", "Becker"),
    department: "Engineering",
    phone: "+49 30 5550 3434",
    ...deleted(5, "U0ADMIN2"),
    license: "E3",
  });
  b.add({
    user_name: "tom.becker@example.com",
    email: "tom.becker@example.com",
    ...person("Tom", "Becker"),
    department: "Operations",
    phone: "+49 30 5550 7878",
    ...active,
    license: "E3",
  });

  // Alias taken: one of the deleted account's addresses now belongs to an active account.
  b.add({
    user_name: "peter.hansen@example.com",
    email: "peter.hansen@example.com",
    ...person("Peter", "Hansen"),
    department: "Sales",
    phone: "+31 6 1122 3344",
    aliases: ["sales@example.com", "p.hansen@example.com"],
    ...deleted(11),
    license: "E3",
  });
  b.add({
    user_name: "anna.berg@example.com",
    email: "anna.berg@example.com",
    ...person("Anna", "Berg"),
    department: "Sales",
    phone: "+31 6 5566 7788",
    aliases: ["sales@example.com"],
    ...active,
    license: "E3",
  });
  b.add({
    user_name: "grace.okafor@example.com",
    email: "grace.okafor@example.com",
    ...person("Grace", "Okafor"),
    department: "IT",
    aliases: ["helpdesk@example.com"],
    ...deleted(22, "U0ADMIN2"),
    license: "E3",
  });
  b.add({
    user_name: "kenji.tanaka@example.com",
    email: "kenji.tanaka@example.com",
    ...person("Kenji", "Tanaka"),
    department: "IT",
    phone: "+44 20 7946 0777",
    aliases: ["helpdesk@example.com", "k.tanaka@example.com"],
    ...active,
    license: "E3",
  });

  // Email taken: the deleted account's email (not its user name) is an active account's email.
  b.add({
    user_name: "jdoe@example.com",
    email: "john.doe@example.com",
    ...person("John", "Doe"),
    department: "Finance",
    phone: "+1 (555) 014-1001",
    ...deleted(8),
    license: "E3",
  });
  b.add({
    user_name: "john.doe@example.com",
    email: "john.doe@example.com",
    ...person("John", "Doe"),
    department: "Finance",
    phone: "+1 (555) 014-2002",
    ...active,
    license: "E3",
  });
  b.add({
    user_name: "ssmith@example.com",
    email: "sarah.smith@example.com",
    ...person("Sarah", "Smith"),
    department: "Legal",
    ...deleted(16, "U0ADMIN2"),
    license: "E3",
  });
  b.add({
    user_name: "sarah.smith@example.com",
    email: "sarah.smith@example.com",
    ...person("Sarah", "Smith"),
    department: "Legal",
    phone: "+44 20 7946 0888",
    ...active,
    license: "E3",
  });

  // Phone taken: the number went to someone else (typed differently: the importer normalises it).
  b.add({
    user_name: "li.wei@example.com",
    email: "li.wei@example.com",
    ...person("Li", "Wei"),
    department: "Customer Support",
    phone: "+44 20 7946 0123",
    ...deleted(13),
    license: "E3",
  });
  b.add({
    user_name: "olivia.brown@example.com",
    email: "olivia.brown@example.com",
    ...person("Olivia", "Brown"),
    department: "Customer Support",
    phone: "+442079460123",
    ...active,
    license: "E3",
  });
  b.add({
    user_name: "rahul.mehta@example.com",
    email: "rahul.mehta@example.com",
    ...person("Rahul", "Mehta"),
    department: "Engineering",
    phone: "+1 (555) 010-4477",
    ...deleted(20, "U0ADMIN2"),
    license: "E3",
  });
  b.add({
    user_name: "diego.romero@example.com",
    email: "diego.romero@example.com",
    ...person("Diego", "Romero"),
    department: "Engineering",
    phone: "+1 555 010 4477",
    ...active,
    license: "E3",
  });

  // No free seat: E5 is exactly full, and these held E5.
  b.add({
    user_name: "helena.schroeder@example.com",
    email: "helena.schroeder@example.com",
    ...person("Helena", "Schröder"),
    department: "Finance",
    phone: "+49 30 5550 9090",
    ...deleted(6),
    license: "E5",
  });
  b.add({
    user_name: "oskar.lindqvist@example.com",
    email: "oskar.lindqvist@example.com",
    ...person("Oskar", "Lindqvist"),
    department: "Product",
    ...deleted(25, "U0ADMIN2"),
    license: "E5",
  });

  // Department gone: not in the directory's departments any more.
  b.add({
    user_name: "ines.ferreira@example.com",
    email: "ines.ferreira@example.com",
    ...person("Inês", "Ferreira"),
    department: "Print Shop",
    phone: "+31 6 9988 7766",
    ...deleted(10),
    license: "E3",
  });
  b.add({
    user_name: "marco.bianchi@example.com",
    email: "marco.bianchi@example.com",
    ...person("Marco", "Bianchi"),
    department: "Telex Office",
    ...deleted(3, "U0ADMIN2"),
  });

  // Everything at once: user name, alias, email and phone taken, E5 full, department gone.
  b.add({
    user_name: "sam.taylor@example.com",
    email: "samantha.taylor@example.com",
    ...person("Samantha", "Taylor"),
    department: "Fax Services",
    phone: "+1 (555) 019-9999",
    aliases: ["support@example.com", "s.taylor@example.com"],
    ...deleted(9),
    license: "E5",
  });
  b.add({
    user_name: "sam.taylor@example.com",
    email: "sam.taylor@example.com",
    ...person("Samuel", "Taylor"),
    department: "Sales",
    phone: "+1 (555) 019-1111",
    ...active,
    license: "E3",
  });
  b.add({
    user_name: "samantha.taylor@example.com",
    email: "samantha.taylor@example.com",
    ...person("Samantha", "Taylor"),
    department: "Customer Support",
    phone: "+15550199999",
    ...active,
    license: "E3",
  });
  b.add({
    user_name: "noah.williams@example.com",
    email: "noah.williams@example.com",
    ...person("Noah", "Williams"),
    department: "Customer Support",
    phone: "+44 20 7946 0999",
    aliases: ["support@example.com"],
    ...active,
    license: "E5",
  });

  // The same user name deleted twice: re-created, then deleted again.
  b.add({
    user_name: "chris.lee@example.com",
    email: "chris.lee@example.com",
    ...person("Chris", "Lee"),
    department: "Marketing",
    phone: "+1 555-012-3030",
    ...deleted(3),
    license: "E3",
  });
  b.add({
    user_name: "chris.lee@example.com",
    email: "chris.lee@example.com",
    ...person("Chris", "Lee"),
    department: "Marketing",
    phone: "+1 555-012-3030",
    ...deleted(24, "U0ADMIN2"),
    license: "E3",
  });
  b.add({
    user_name: "alex.kim@example.com",
    email: "alex.kim@example.com",
    ...person("Alex", "Kim"),
    department: "Product",
    status: "deleted",
    deleted_at: deletedDaysAgo(r, 38),
    deleted_by: "U0ADMIN1",
    license: "E3",
  });
  b.add({
    user_name: "alex.kim@example.com",
    email: "alex.kim@example.com",
    ...person("Alex", "Kim"),
    department: "Product",
    ...deleted(27, "U0ADMIN2"),
    license: "E3",
  });

  // Still being deleted: listed, restorable once the deletion completes (48 h unless the file says).
  b.add({
    user_name: "nina.petrova@example.com",
    email: "nina.petrova@example.com",
    ...person("Nina", "Petrova"),
    department: "Human Resources",
    status: "deleting",
    deleted_at: iso(BASE - 2 * HOUR),
    deleted_by: "U0ADMIN1",
    license: "E3",
  });
  b.add({
    user_name: "yusuf.demir@example.com",
    email: "yusuf.demir@example.com",
    ...person("Yusuf", "Demir"),
    department: "Operations",
    phone: "+49 30 5550 4545",
    status: "deleting",
    deleted_at: iso(BASE - 9 * HOUR),
    deleted_by: "U0ADMIN2",
    license: "E3",
  });
  b.add({
    user_name: "emma.schulz@example.com",
    email: "emma.schulz@example.com",
    ...person("Emma", "Schulz"),
    department: "Finance",
    status: "deleting",
    deleted_at: iso(BASE - 20 * HOUR),
    deleted_by: "U0ADMIN1",
    deletion_completes_at: iso(BASE + 4 * HOUR),
    license: "E3",
  });

  // A display name that must be escaped wherever it is shown in Slack.
  b.add({
    user_name: "mallory@example.com",
    email: "mallory@example.com",
    display_name: "<!channel> Mallory <@U123>",
    given_name: "Mallory",
    department: "Marketing",
    ...deleted(14),
  });

  // Filler: ~190 active in all, and deleted accounts covering every day of the window.
  const activeSoFar = b.accounts.filter((a) => a.status === "active").length;
  for (let i = activeSoFar; i < 190; i++) {
    const license = r.float() < 0.65 ? "E3" : r.float() < 0.6 ? "E5" : undefined;
    b.filler({ status: "active", department: r.pick(DEPARTMENTS), ...(license ? { license } : {}) });
  }
  const deletedFiller = (deleted_at: string) =>
    b.filler({
      status: "deleted",
      deleted_at,
      deleted_by: deletedBy(r), // now and then nobody: the member left on their own
      department: r.pick(DEPARTMENTS),
      // E3 or none: a filler account restores without a seat conflict.
      ...(r.chance(0.8) ? { license: "E3" } : {}),
    });
  for (let daysLeft = 0; daysLeft < RETENTION_DAYS; daysLeft++)
    deletedFiller(deletedWithDaysLeft(r, daysLeft));
  for (const days of [31, 33, 36, 41, 45, 52]) deletedFiller(deletedDaysAgo(r, days)); // window over: purge
  while (b.accounts.length < 300) deletedFiller(deletedWithDaysLeft(r, r.int(0, RETENTION_DAYS - 1)));

  const activeWith = (license: string) =>
    b.accounts.filter((a) => a.status === "active" && a.license === license).length;
  return {
    relative_to: RELATIVE_TO,
    domains: ["example.com", "example.org"],
    departments: DEPARTMENTS,
    seats: [
      { license: "E3", total: activeWith("E3") + 45 },
      { license: "E5", total: activeWith("E5") },
    ],
    accounts: r.shuffle(b.accounts),
  };
}

// ---------------------------------------------------------------------------------------------
// demo/recreate-only.json

export function recreateOnlyDemo(): DemoFile {
  const r = new Random(90);
  const retention = 90;
  const b = new Builder(r, "legacy.example.net", null);
  const deleted = (daysLeft: number) => ({
    status: "deleted" as const,
    deleted_at: deletedWithDaysLeft(r, daysLeft, retention),
    deleted_by: r.pick(ADMINS),
  });
  const departments = ["Operations", "Finance", "Sales", "Archive"];

  // Re-created once already under the same user name: re-creating again needs a new one.
  b.add({
    user_name: "mei.chen@legacy.example.net",
    email: "mei.chen@legacy.example.net",
    display_name: "Mei Chen",
    given_name: "Mei",
    family_name: "Chen",
    department: "Finance",
    ...deleted(40),
    license: "MAIL",
  });
  b.add({
    user_name: "mei.chen@legacy.example.net",
    email: "mei.chen@legacy.example.net",
    display_name: "Mei Chen",
    given_name: "Mei",
    family_name: "Chen",
    department: "Finance",
    status: "active",
    license: "MAIL",
  });
  b.add({
    user_name: "bjorn.astrom@legacy.example.net",
    email: "bjorn.astrom@legacy.example.net",
    display_name: "Björn Åström",
    given_name: "Björn",
    family_name: "Åström",
    department: "Operations",
    phone: "+46 8 555 012 34",
    ...deleted(1),
    license: "MAIL",
  });

  for (let i = 0; i < 3; i++)
    b.filler({ status: "active", department: r.pick(departments), license: "MAIL" });
  for (const daysLeft of [0, 2, 5, 9, 14, 21, 30, 44, 58, 67, 75, 83, 89]) {
    b.filler({ ...deleted(daysLeft), department: r.pick(departments), license: "MAIL" });
  }
  for (const days of [95, 120]) {
    b.filler({
      status: "deleted",
      deleted_at: deletedDaysAgo(r, days),
      deleted_by: "U0ADMIN1",
      department: r.pick(departments),
      license: "MAIL",
    });
  }

  return {
    relative_to: RELATIVE_TO,
    directory: {
      id: "legacy-mail",
      name: "Legacy mail (re-create only)",
      can_restore: false,
      retention_days: retention,
      follow_up: ["Reset the user's licence", "Assign a licence", "Activate the licence"],
    },
    domains: ["legacy.example.net"],
    departments,
    seats: [{ license: "MAIL", total: 25 }],
    accounts: r.shuffle(b.accounts),
  };
}

// ---------------------------------------------------------------------------------------------
// Output

/** Pretty at the top, one account per line below: readable, and diffs show whole accounts. */
export function render(file: DemoFile): string {
  const { accounts, ...settings } = file;
  const head = JSON.stringify(settings, null, 2).replace(/\n}$/, "");
  const lines = accounts.map((a) => `    ${JSON.stringify(a)}`);
  return `${head},\n  "accounts": [\n${lines.join(",\n")}\n  ]\n}\n`;
}

/** File name (in demo/) → content, checked with the importer's own parser. */
export function demoFiles(): Record<string, string> {
  const files = { "accounts.json": render(builtInDemo()), "recreate-only.json": render(recreateOnlyDemo()) };
  for (const [name, content] of Object.entries(files)) {
    const parsed = parseImportFile(content, "json", new Date(BASE));
    if (!parsed.ok) {
      const problems = parsed.problems.map((p) => `  line ${p.line}: ${p.reason}`).join("\n");
      throw new Error(`demo/${name} would not import:\n${problems}`);
    }
  }
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, content] of Object.entries(demoFiles())) {
    const path = fileURLToPath(new URL(name, import.meta.url));
    writeFileSync(path, content);
    console.log(`wrote ${path}`);
  }
}
