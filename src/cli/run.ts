import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { databaseProblem, openCore } from "../app.ts";
import { systemClock } from "../clock.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { type DigestSettings, digestSettingsFrom } from "../digest/settings.ts";
import type { MessageKey } from "../i18n/catalog.ts";
import { type Said, say, sayOr } from "../i18n/said.ts";
import { ENGLISH, type MessageValues, pickLocale, type Translator, translator } from "../i18n/translator.ts";
import {
  type ImportInput,
  type ImportOptions,
  ImportRejected,
  type ImportSummary,
} from "../import/import.ts";
import { CsvImportReader } from "../import/import-csv.ts";
import { importFormatOf, parseImportFile } from "../import/import-file.ts";
import { IMPORT_PAGE_ROWS } from "../import/import-load.ts";
import { describeError, errorFields, log } from "../log.ts";
import { DEMO_FILES } from "../mirror/demo.ts";
import { providersFrom } from "../providers/providers.ts";
import { describeProblemsSaid } from "../providers/registry.ts";
import { SLACK_USER_ID } from "../restore/access.ts";
import { isRefusal, type Refusal } from "../restore/outcome.ts";
import type { RestoreChoices } from "../restore/plan-types.ts";
import type { RestoreService } from "../restore/service.ts";
import * as format from "./format.ts";
import { printable } from "./printable.ts";
import { importProgress } from "./progress.ts";

/** 0 done, 1 refused by a rule, 2 bad usage or input. */
export type ExitCode = 0 | 1 | 2;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** A line redrawn in place ("" clears it); only given on a terminal. */
  progress?(line: string): void;
}

const OPTIONS = {
  as: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  "expiring-within": { type: "string" },
  department: { type: "string" },
  "deleted-by": { type: "string" },
  limit: { type: "string" },
  rename: { type: "string" },
  replace: { type: "boolean" },
  reason: { type: "string" },
  "drop-email": { type: "boolean" },
  "drop-phone": { type: "boolean" },
  "idempotency-key": { type: "string" },
  pending: { type: "boolean" },
  since: { type: "string" },
  csv: { type: "boolean" },
  date: { type: "string" },
  locale: { type: "string" },
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

/** Which options each command accepts; anything else is a usage error, not silently ignored. */
const ACCEPTS: Record<string, (keyof typeof OPTIONS)[]> = {
  import: [],
  deleted: ["expiring-within", "department", "deleted-by", "limit"],
  plan: ["rename", "replace", "department", "drop-email", "drop-phone"],
  restore: ["rename", "replace", "reason", "department", "drop-email", "drop-phone", "idempotency-key"],
  requests: ["pending"],
  approve: [],
  reject: ["reason"],
  purge: [],
  audit: ["since", "csv"],
  digest: ["date"],
  sync: [],
  refresh: [],
};
const COMMON: (keyof typeof OPTIONS)[] = ["as", "json", "help", "locale"];

/** Bad usage, said in the reader's language when it is printed. */
class UsageError extends Error {
  constructor(
    readonly key: MessageKey,
    readonly values?: MessageValues,
  ) {
    super(ENGLISH.t(key, values));
  }
}

/** `--locale X` or `--locale=X` as typed, even where the rest of the line does not parse. */
function localeArgument(argv: string[]): string | undefined {
  let found: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === "--") return;
    if (arg === "--locale") found = argv[i + 1];
    else if (arg.startsWith("--locale=")) found = arg.slice("--locale=".length);
  });
  return found;
}

/**
 * The reader's language: --locale, else LC_ALL, else LANG ("nl_NL.UTF-8" is understood); one
 * with no catalog (or garbage) is English, never an error. Times in the terminal's zone: TZ, else
 * the system's. --json output and log lines are English whatever this says.
 */
export function cliTranslator(locale: string | undefined, env: NodeJS.ProcessEnv): Translator {
  const zone = env.TZ || Intl.DateTimeFormat().resolvedOptions().timeZone;
  return translator(pickLocale(locale, env.LC_ALL, env.LANG), zone);
}

/** The whole CLI as a function of arguments and environment, so tests can run it in-process too. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<ExitCode> {
  const t = cliTranslator(localeArgument(argv), env);
  try {
    return await runCommand(argv, env, io, t);
  } catch (error) {
    return failed(error, env, io, t);
  }
}

/**
 * An unexpected failure (a constraint nobody planned for): one line with its
 * cause and a reference, never the query or the values it carried. With DEBUG set, the log line
 * under the same reference adds the stack. Exit 2, as before.
 */
function failed(error: unknown, env: NodeJS.ProcessEnv, io: CliIo, t: Translator): ExitCode {
  // The database is not there, or its folder is another's: where, why and what next, exit 2.
  const unavailable = databaseProblem(error, env);
  if (unavailable) {
    // Said in the reader's language where we have the words (a folder in use still says English).
    const { said } = unavailable as { said?: Said };
    io.err(printable(sayOr(t, said, unavailable.message)));
    return 2;
  }
  const reference = randomBytes(4).toString("hex");
  if (env.DEBUG) log.error("restore-user failed", { reference, ...errorFields(error) });
  io.err(printable(t.t("cli.error.failed", { cause: describeError(error), reference })));
  return 2;
}

async function runCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  t: Translator,
): Promise<ExitCode> {
  const fmt = format.formattersFor(t);
  const usage = fmt.usage();
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const [command, ...args] = parsed.positionals;
  const values = parsed.values;
  if (!command || command === "help" || (values.help && !command)) {
    io.out(usage);
    return command || values.help ? 0 : 2;
  }
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const accepted = ACCEPTS[command];
  if (!accepted) {
    io.err(`${t.t("cli.error.unknownCommand", { command })}\n\n${usage}`);
    return 2;
  }
  const stray = Object.keys(values).filter(
    (k) => !COMMON.includes(k as never) && !accepted.includes(k as never),
  );
  if (stray.length > 0) {
    io.err(
      `${t.t("cli.error.doesNotTake", { command, options: stray.map((s) => `--${s}`).join(", ") })}\n\n${usage}`,
    );
    return 2;
  }

  let config: ReturnType<typeof loadConfig>;
  let digest: DigestSettings | null = null;
  try {
    config = loadConfig(env);
    if (command === "digest") digest = digestSettingsFrom(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(say(t, error.said));
      return 2;
    }
    throw error;
  }

  const providers = providersFrom(env, systemClock, log);
  if (providers.problems.length > 0) {
    io.err(say(t, describeProblemsSaid(providers.problemsSaid)));
    return 2;
  }
  const json = Boolean(values.json);
  const core = await openCore(config, systemClock, providers.connectors, log);
  try {
    return await dispatch(command, args, values, {
      env,
      io,
      json,
      service: core.service,
      core,
      digest,
      t,
      fmt,
    });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${t.t(error.key, error.values)}\n\n${usage}`);
      return 2;
    }
    throw databaseProblem(error, env, core.database.location) ?? error;
  } finally {
    await core.database.close();
  }
}

interface Ctx {
  env: NodeJS.ProcessEnv;
  io: CliIo;
  json: boolean;
  service: RestoreService;
  core: Awaited<ReturnType<typeof openCore>>;
  /** The DIGEST_* settings, parsed for the digest command only. */
  digest: DigestSettings | null;
  /** The reader's language, and the human formatters speaking it. */
  t: Translator;
  fmt: format.Formatters;
}

function actorOf(values: Values, env: NodeJS.ProcessEnv): string {
  const actor = values.as ?? env.RESTORE_AS;
  if (!actor) throw new UsageError("cli.error.sayWhoYouAre");
  // Only people act from a terminal: `system` (the app's own actor) or a name would be refused
  // later anyway, or worse, accepted for what the app may do by itself.
  if (!SLACK_USER_ID.test(actor)) {
    throw new UsageError("cli.error.asTakesUserId", { actor: printable(actor) });
  }
  return actor;
}

function needArgs(
  args: string[],
  n: number,
  missing: "cli.error.missingAccount" | "cli.error.missingRequest" | "cli.error.missingFile",
): void {
  if (args.length < n) throw new UsageError(missing);
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError("cli.error.wholeDays", { name, value });
  return Number(value);
}

function dateOption(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    throw new UsageError("cli.error.isoDate", { name, value });
  }
  return at;
}

function choicesOf(values: Values): RestoreChoices {
  if (values.rename !== undefined && !values.rename.trim()) throw new UsageError("cli.error.renameNeedsName");
  const choices: RestoreChoices = {};
  if (values.rename !== undefined) choices.renameTo = values.rename;
  if (values.replace) choices.replace = true;
  if (values.department !== undefined) choices.department = values.department;
  if (values["drop-email"]) choices.dropEmail = true;
  if (values["drop-phone"]) choices.dropPhone = true;
  return choices;
}

/** Prints a refusal and gives its exit code: not found and malformed input are usage problems. */
function refused(ctx: Ctx, refusal: Refusal): ExitCode {
  if (ctx.json) ctx.io.out(format.toJson(refusal));
  else ctx.io.err(ctx.fmt.refusal(refusal));
  const unknown = ctx.core.unknownGroups;
  if (refusal.code === "not_allowed" && unknown.length > 0 && !ctx.json) {
    ctx.io.err(ctx.t.t("cli.error.unknownGroups", { groups: unknown.join(", ") }));
  }
  return ["not_found", "ambiguous", "invalid_input"].includes(refusal.code) ? 2 : 1;
}

function emit(ctx: Ctx, value: unknown, text: () => string): ExitCode {
  ctx.io.out(ctx.json ? format.toJson(value) : text());
  return 0;
}

async function dispatch(command: string, args: string[], values: Values, ctx: Ctx): Promise<ExitCode> {
  const { service } = ctx;
  switch (command) {
    case "import":
      return importCommand(args, values, ctx);
    case "deleted": {
      if (args.length > 1) throw new UsageError("cli.error.deletedOneQuery");
      const result = await service.search(actorOf(values, ctx.env), {
        ...(args[0] ? { query: args[0] } : {}),
        ...(values["expiring-within"] !== undefined
          ? { expiringWithinDays: intOption(values["expiring-within"], "expiring-within") }
          : {}),
        ...(values.department ? { department: values.department } : {}),
        ...(values["deleted-by"] ? { deletedBy: values["deleted-by"] } : {}),
        limit: intOption(values.limit, "limit") ?? 50,
      });
      if (isRefusal(result)) return refused(ctx, result);
      return emit(ctx, result, () => ctx.fmt.searchResult(result));
    }
    case "plan": {
      needArgs(args, 1, "cli.error.missingAccount");
      const plan = await service.plan(actorOf(values, ctx.env), args[0] as string, choicesOf(values));
      if (isRefusal(plan)) return refused(ctx, plan);
      return emit(ctx, plan, () => ctx.fmt.plan(plan));
    }
    case "restore":
      return restoreCommand(args, values, ctx);
    case "requests": {
      const list = await service.listRequests(actorOf(values, ctx.env), {
        pendingOnly: Boolean(values.pending),
      });
      if (isRefusal(list)) return refused(ctx, list);
      return emit(ctx, list, () => ctx.fmt.requests(list));
    }
    case "approve": {
      needArgs(args, 1, "cli.error.missingRequest");
      const outcome = await service.approve(actorOf(values, ctx.env), args[0] as string);
      if (isRefusal(outcome)) return refused(ctx, outcome);
      ctx.io.out(ctx.json ? format.toJson(outcome) : ctx.fmt.approval(outcome));
      return outcome.type === "failed" ? 1 : 0;
    }
    case "reject": {
      needArgs(args, 1, "cli.error.missingRequest");
      if (!values.reason?.trim()) throw new UsageError("cli.error.rejectNeedsReason");
      const outcome = await service.reject(actorOf(values, ctx.env), args[0] as string, values.reason);
      if (isRefusal(outcome)) return refused(ctx, outcome);
      return emit(ctx, outcome, () => ctx.fmt.rejected(outcome));
    }
    case "purge": {
      const outcome = await service.purge(actorOf(values, ctx.env));
      if (isRefusal(outcome)) return refused(ctx, outcome);
      return emit(ctx, outcome, () => ctx.fmt.purge(outcome.purged));
    }
    case "audit": {
      const events = await service.audit(actorOf(values, ctx.env), dateOption(values.since, "since"));
      if (isRefusal(events)) return refused(ctx, events);
      if (values.csv) {
        ctx.io.out(format.auditCsv(events));
        return 0;
      }
      return emit(ctx, events, () => ctx.fmt.audit(events));
    }
    case "digest":
      return digestCommand(args, values, ctx);
    case "sync": {
      if (args.length > 1) throw new UsageError("cli.error.syncOneDirectory");
      const results = await service.sync(actorOf(values, ctx.env), args[0]);
      if (isRefusal(results)) return refused(ctx, results);
      return emit(ctx, results, () => ctx.fmt.sync(results));
    }
    case "refresh": {
      needArgs(args, 1, "cli.error.missingAccount");
      const outcome = await service.refresh(actorOf(values, ctx.env), args[0] as string);
      if (isRefusal(outcome)) return refused(ctx, outcome);
      return emit(ctx, outcome, () => ctx.fmt.refreshed(outcome));
    }
  }
  throw new UsageError("cli.error.unknownCommand", { command });
}

async function restoreCommand(args: string[], values: Values, ctx: Ctx): Promise<ExitCode> {
  needArgs(args, 1, "cli.error.missingAccount");
  const actor = actorOf(values, ctx.env);
  const choices = choicesOf(values);
  const key = values["idempotency-key"];
  if (values.replace) {
    if (args.length > 1) throw new UsageError("cli.error.replaceOneAccount");
    if (values.rename !== undefined) throw new UsageError("cli.error.renameOrReplace");
    if (!values.reason?.trim()) throw new UsageError("cli.error.replaceNeedsReason");
    const { replace: _replace, renameTo: _renameTo, ...rest } = choices;
    const outcome = await ctx.service.requestReplace(actor, args[0] as string, values.reason, rest, {
      ...(key ? { idempotencyKey: key } : {}),
    });
    if (isRefusal(outcome)) return refused(ctx, outcome);
    return emit(ctx, outcome, () => ctx.fmt.replaceRequested(outcome));
  }
  if (values.reason !== undefined) throw new UsageError("cli.error.reasonGoesWithReplace");
  if (args.length === 1) {
    const outcome = await ctx.service.restore(
      actor,
      args[0] as string,
      choices,
      key ? { idempotencyKey: key } : {},
    );
    if (isRefusal(outcome)) return refused(ctx, outcome);
    return emit(ctx, outcome, () => ctx.fmt.restored(outcome));
  }
  if (choices.renameTo !== undefined) throw new UsageError("cli.error.renameOneAccount");
  const items = await ctx.service.restoreMany(actor, args, choices, key ? { idempotencyKey: key } : {});
  if (isRefusal(items)) return refused(ctx, items);
  ctx.io.out(ctx.json ? format.toJson(items) : ctx.fmt.batch(items));
  return items.every((i) => i.outcome.type === "restored") ? 0 : 1;
}

/** Why a file cannot be read (ENOENT, EACCES, EISDIR…), or null when it can. */
async function cannotRead(path: string): Promise<string | null> {
  try {
    const handle = await open(path, "r");
    try {
      return (await handle.stat()).isDirectory() ? "EISDIR" : null;
    } finally {
      await handle.close();
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

/**
 * The digest a day's run would post, printed instead of sent. Today's is as of now; another
 * day's as of its DIGEST_TIME. Purges are counted since the digest due before that moment.
 */
async function digestCommand(args: string[], values: Values, ctx: Ctx): Promise<ExitCode> {
  if (args.length > 0) throw new UsageError("cli.error.digestNoArguments");
  const settings = ctx.digest ?? digestSettingsFrom(ctx.env);
  const digest = await ctx.service.digest(
    actorOf(values, ctx.env),
    { ...settings, channel: settings.channelId ?? ctx.env.ADMIN_CHANNEL_ID ?? null },
    values.date,
  );
  if (isRefusal(digest)) return refused(ctx, digest);
  return emit(ctx, digest, () => ctx.fmt.digest(digest));
}

async function importCommand(args: string[], values: Values, ctx: Ctx): Promise<ExitCode> {
  needArgs(args, 1, "cli.error.missingFile");
  const files = args.length === 1 && args[0] === "demo" ? DEMO_FILES : args;
  // An admin action like any other: who you are first, before any file is read.
  const actor = actorOf(values, ctx.env);
  const summaries: ImportSummary[] = [];
  for (const path of files) {
    const kind = importFormatOf(path);
    if (!kind) throw new UsageError("cli.error.fileExtension", { path });
    // Progress only on a terminal, and never with --json: a script reads nothing extra.
    const progress =
      ctx.io.progress && !ctx.json ? importProgress(ctx.io.progress, () => performance.now(), ctx.t) : null;
    let input: ImportInput;
    let onPage: NonNullable<ImportOptions["onPage"]>;
    const unreadable = await cannotRead(path);
    if (unreadable) {
      ctx.io.err(ctx.t.t("cli.error.cannotRead", { path, cause: unreadable }));
      return 2;
    }
    if (kind === "csv") {
      // Streamed: a CSV of a million rows is read, checked and loaded a page at a time.
      input = new CsvImportReader(() => createReadStream(path), ctx.core.clock.now(), IMPORT_PAGE_ROWS);
      onPage = (loaded, _total, validated) => progress?.streamed(validated, loaded);
      progress?.streamed(0, 0);
    } else {
      // JSON is read whole: JSON.parse needs all of it, and a JSON file carries the directory's
      // settings and departments that apply to every account (the demo and fixtures; exports are CSV).
      const parsed = parseImportFile(await readFile(path, "utf8"), kind, ctx.core.clock.now());
      if (!parsed.ok) {
        if (ctx.json) ctx.io.out(format.toJson({ type: "invalid", file: path, problems: parsed.problems }));
        else ctx.io.err(ctx.fmt.importProblems(path, parsed.problems));
        return 2;
      }
      input = parsed.file;
      progress?.validated(parsed.file.accounts.length);
      onPage = (loaded, total) => progress?.loaded(loaded, total ?? loaded);
    }
    try {
      const summary = await ctx.service
        .importAccounts(actor, input, { onPage })
        .finally(() => progress?.done());
      if (isRefusal(summary)) return refused(ctx, summary);
      summaries.push(summary);
    } catch (error) {
      if (!(error instanceof ImportRejected)) throw error;
      if (ctx.json) ctx.io.out(format.toJson({ type: "invalid", file: path, problems: error.problems }));
      else ctx.io.err(ctx.fmt.importProblems(path, error.problems));
      return 2;
    }
  }
  return emit(ctx, summaries, () => ctx.fmt.imported(summaries));
}
