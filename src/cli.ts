import { runCli } from "./cli/run.ts";

// The terminal edge: everything else, unexpected failures included, is in runCli, which tests
// drive in-process as well.
process.exitCode = await runCli(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  // Redrawn in place (carriage return, clear line): only where someone watches.
  ...(process.stdout.isTTY ? { progress: (line: string) => process.stdout.write(`\r\u001b[2K${line}`) } : {}),
});
