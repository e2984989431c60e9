import { runCli } from "./cli/run.ts";

// The terminal edge: everything else is in runCli, which tests drive in-process as well.
const code = await runCli(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
}).catch((error: unknown) => {
  // An unexpected failure (database down): one clear line, the details for whoever debugs.
  process.stderr.write(`restore-user failed: ${(error as Error).message}\n`);
  if (process.env.DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
  return 2 as const;
});
process.exitCode = code;
