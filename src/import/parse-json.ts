/** Reading a JSON import: the file's shape checked with zod, each problem named by its account. */
import { z } from "zod";
import type { MessageKey } from "../i18n/catalog.ts";
import { type Said, type SaidValue, said } from "../i18n/said.ts";
import {
  accountsOf,
  type Checked,
  COLUMNS,
  type Column,
  checkAccount,
  checkAcrossAccounts,
  DIRECTORY_ID,
  DOMAIN,
  isColumn,
  type RawAccount,
  type TimeContext,
} from "./checks.ts";
import { problemAt } from "./problem.ts";
import { parseIsoTime } from "./times.ts";
import type { ImportFile, ImportProblem } from "./types.ts";

/**
 * The schema's words for a bad field, each also a catalog message (`import.problem.json.<name>`) so
 * the CLI can say it in its language; zod's own words stay English.
 */
const SAYS = {
  text: "must be text",
  textOrList: "must be text or a list of text",
  directoryId:
    "must be lower-case letters, digits and dashes, start with a letter or digit, and be at most 63 characters",
  notEmpty: "must not be empty",
  boolean: "must be true or false",
  days: "must be a whole number of days or null",
  positiveDays: "must be a positive number of days or null",
  time: "must be an ISO 8601 time such as 2026-11-22T12:00:00Z",
  domain: "must be a domain name such as example.com",
  seats: "must be a whole number, 0 or more",
} as const;

/** Shapes only; the meaning of each account's cells is checked by `checkAccount`, as for CSV. */
const text = z.string({ error: SAYS.text });
const cell = z.string().nullish();
const idLike = z.union([z.string(), z.number().transform(String)], { error: SAYS.text }).nullish();

const accountSchema = z.strictObject({
  external_id: idLike,
  user_name: cell,
  email: cell,
  display_name: cell,
  given_name: cell,
  family_name: cell,
  department: cell,
  phone: idLike,
  aliases: z.union([z.string(), z.array(z.string())], { error: SAYS.textOrList }).nullish(),
  status: cell,
  deleted_at: cell,
  deleted_by: cell,
  deletion_completes_at: cell,
  license: cell,
});

const directorySchema = z.strictObject({
  id: text.regex(DIRECTORY_ID, {
    error: SAYS.directoryId,
  }),
  name: text.trim().min(1, { error: SAYS.notEmpty }),
  can_restore: z.boolean({ error: SAYS.boolean }).default(true),
  retention_days: z
    .number({ error: SAYS.days })
    .int({ error: SAYS.days })
    .positive({ error: SAYS.positiveDays })
    .nullable()
    .default(30),
  follow_up: z.array(text.trim().min(1, { error: SAYS.notEmpty })).default([]),
});

const fileSchema = z.strictObject({
  relative_to: text
    .refine((s) => parseIsoTime(s) !== null, {
      error: SAYS.time,
    })
    .nullish(),
  directory: directorySchema.nullish(),
  domains: z.array(text.trim().toLowerCase().regex(DOMAIN, { error: SAYS.domain })).nullish(),
  departments: z.array(text.trim().min(1, { error: SAYS.notEmpty })).nullish(),
  seats: z
    .array(
      z.strictObject({
        license: text.trim().min(1, { error: SAYS.notEmpty }),
        total: z.number({ error: SAYS.seats }).int({ error: SAYS.seats }).min(0, { error: SAYS.seats }),
      }),
    )
    .nullish(),
  accounts: z.array(z.unknown()),
});

const FILE_FIELDS = Object.keys(fileSchema.shape);

export function readJson(content: string, now: Date, problems: ImportProblem[]): ImportFile | null {
  let data: unknown;
  try {
    data = JSON.parse(content.replace(/^\uFEFF/, ""));
  } catch (err) {
    problems.push(problemAt(0, "import.problem.notJson", { error: (err as Error).message }));
    return null;
  }

  let top: z.infer<typeof fileSchema>;
  if (Array.isArray(data)) {
    top = { accounts: data };
  } else if (isPlainObject(data)) {
    const parsed = fileSchema.safeParse(data, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(problemOf(0, describeIssue(issue, FILE_FIELDS)));
      }
      // Still check the accounts, so one run shows every problem in the file.
      if (!Array.isArray(data.accounts)) return null;
      top = { accounts: data.accounts };
    } else {
      top = parsed.data;
    }
  } else {
    problems.push(problemAt(0, "import.problem.notAccounts"));
    return null;
  }

  // Read from the data itself, so a shape problem elsewhere does not make every time look wrong.
  const relativeTo =
    isPlainObject(data) && typeof data.relative_to === "string" ? parseIsoTime(data.relative_to) : null;
  const time: TimeContext = { now, shiftMs: relativeTo === null ? 0 : now.getTime() - relativeTo.getTime() };

  const seats = top.seats ?? [];
  const seen = new Set<string>();
  for (const seat of seats) {
    if (seen.has(seat.license)) {
      problems.push(problemAt(0, "import.problem.seatTwice", { license: seat.license }));
    }
    seen.add(seat.license);
  }

  const checked: Checked[] = [];
  top.accounts.forEach((item, index) => {
    const line = index + 1;
    if (!isPlainObject(item)) {
      problems.push(problemAt(line, "import.problem.notObject"));
      return;
    }
    const parsed = accountSchema.safeParse(item, { reportInput: true });
    let raw: RawAccount;
    const alreadyReported = new Set<Column>();
    if (parsed.success) {
      raw = parsed.data;
    } else {
      // Report every shape problem, then check the fields that do have the right shape.
      const drop = new Set<string>();
      // In the order of the columns, unknown fields last: the same order for every account.
      const rank = (issue: z.core.$ZodIssue) => {
        const at = COLUMNS.indexOf(issue.path[0] as Column);
        return at === -1 ? COLUMNS.length : at;
      };
      for (const issue of [...parsed.error.issues].sort((a, b) => rank(a) - rank(b))) {
        problems.push(problemOf(line, describeIssue(issue, COLUMNS)));
        if (issue.code === "unrecognized_keys") for (const key of issue.keys) drop.add(key);
        const field = issue.path[0];
        if (typeof field === "string") {
          drop.add(field);
          if (isColumn(field)) alreadyReported.add(field);
        }
      }
      const rest = accountSchema.safeParse(
        Object.fromEntries(Object.entries(item).filter(([key]) => !drop.has(key))),
      );
      raw = rest.success ? rest.data : {};
    }
    checked.push(checkAccount(raw, line, time, problems, alreadyReported));
  });
  checkAcrossAccounts(checked, problems);

  if (problems.length > 0) return null;
  const directory = top.directory
    ? {
        id: top.directory.id,
        name: top.directory.name,
        canRestore: top.directory.can_restore,
        retentionDays: top.directory.retention_days,
        followUp: top.directory.follow_up,
      }
    : null;
  return {
    directory,
    domains: top.domains ? [...new Set(top.domains)] : null,
    departments: top.departments ? [...new Set(top.departments)] : null,
    seats: seats.map((s) => ({ license: s.license, total: s.total })),
    accounts: accountsOf(checked),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const KINDS: Record<string, MessageKey> = {
  string: "import.problem.kind.text",
  number: "import.problem.kind.number",
  int: "import.problem.kind.wholeNumber",
  boolean: "import.problem.kind.boolean",
  array: "import.problem.kind.list",
  object: "import.problem.kind.object",
};

/** A kind of value in words; `null`, `true`, `false` and the unforeseen as they are. */
function kind(name: string): SaidValue {
  const key = KINDS[name];
  return key ? said(key) : name;
}

/** A zod issue in words: `seats #2 total must be a whole number, 0 or more`. */
function describeIssue(issue: z.core.$ZodIssue, fields: readonly string[]): Said {
  const name = issue.path.map((part) => (typeof part === "number" ? `#${part + 1}` : String(part))).join(" ");
  const subject = name === "" ? "" : `${name} `;
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return said("import.problem.json.missing", { subject });
      // 1.5 for a whole number: the schema's own words say it best.
      if (issue.expected === "int" && typeof issue.input === "number")
        return schemaSays(subject, issue.message);
      return said("import.problem.json.mustBe", {
        subject,
        expected: kind(issue.expected),
        actual: kind(kindOf(issue.input)),
      });
    case "unrecognized_keys": {
      const keys = issue.keys.map((k) => `"${k}"`).join(", ");
      const n = issue.keys.length;
      return name === ""
        ? said("import.problem.json.unknownFields", { n, keys, fields: fields.join(", ") })
        : said("import.problem.json.unknownFieldsIn", { name, n, keys });
    }
    default:
      return schemaSays(subject, issue.message);
  }
}

/** `subject` and the schema's words for its problem: ours in the reader's language, zod's as they are. */
function schemaSays(subject: string, message: string): Said {
  const ours = (Object.keys(SAYS) as (keyof typeof SAYS)[]).find((name) => SAYS[name] === message);
  return said("import.problem.json.field", {
    subject,
    problem: ours ? said(`import.problem.json.${ours}`) : message,
  });
}

/** The problem `message` on `line`. */
function problemOf(line: number, message: Said): ImportProblem {
  return problemAt(line, message.key, message.values);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    default:
      return typeof value;
  }
}
