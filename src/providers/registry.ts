/**
 * Which providers are configured: a connector is on when any of its variables is set, and then
 * every required one must be. All problems are collected so that one start-up names them all.
 */
import { type Said, said, saidList, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import type { ConnectorDeps, ConnectorModule, DirectoryConnector } from "./port.ts";

export interface ConnectorsFromEnv {
  connectors: DirectoryConnector[];
  /** "ENTRA_CLIENT_SECRET: required when ENTRA_TENANT_ID is set", … */
  problems: string[];
  /** `problems`, each to be said in the reader's language (the CLI's). */
  problemsSaid: Said[];
}

// biome-ignore lint/suspicious/noExplicitAny: each module has settings of its own type
export type AnyConnectorModule = ConnectorModule<any>;

/** The problems as one message, laid out like the other configuration errors. */
export function describeProblems(problems: readonly string[]): string {
  return say(ENGLISH, describeProblemsSaid(problems));
}

/** `describeProblems` in the reader's language: our words translated, zod's and the names as they are. */
export function describeProblemsSaid(problems: readonly (Said | string)[]): Said {
  const lines = problems.map((line) => said("provider.setup.line", { line }));
  return said("provider.setup.invalid", { lines: saidList(lines, "\n") });
}

export function connectorsFromEnv(
  modules: readonly AnyConnectorModule[],
  env: Record<string, string | undefined>,
  deps: ConnectorDeps,
): ConnectorsFromEnv {
  const connectors: DirectoryConnector[] = [];
  const problemsSaid: Said[] = [];
  for (const module of modules) {
    const names = [...module.required, ...module.optional];
    const given = names.filter((n) => (env[n] ?? "").trim() !== "");
    if (!given.some((n) => module.required.includes(n))) continue;
    const missing = module.required.filter((n) => (env[n] ?? "").trim() === "");
    for (const name of missing) {
      problemsSaid.push(
        said("provider.setup.required", { name, provider: module.name, given: given.join(", ") }),
      );
    }
    if (missing.length > 0) continue;
    const values = Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]]));
    const parsed = module.settings.safeParse(values);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problemsSaid.push(
          said("provider.setup.invalidValue", {
            name: issue.path.join(".") || module.name,
            problem: issue.message,
          }),
        );
      }
      continue;
    }
    connectors.push(module.create(parsed.data, deps));
  }
  return { connectors, problems: problemsSaid.map((p) => say(ENGLISH, p)), problemsSaid };
}
