/**
 * Which providers are configured: a connector is on when any of its variables is set, and then
 * every required one must be. All problems are collected so that one start-up names them all.
 */
import type { ConnectorDeps, ConnectorModule, DirectoryConnector } from "./port.ts";

export interface ConnectorsFromEnv {
  connectors: DirectoryConnector[];
  /** "ENTRA_CLIENT_SECRET: required when ENTRA_TENANT_ID is set", … */
  problems: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: each module has settings of its own type
export type AnyConnectorModule = ConnectorModule<any>;

/** The problems as one message, laid out like the other configuration errors. */
export function describeProblems(problems: readonly string[]): string {
  return `Identity provider settings are not valid:\n${problems.map((p) => `  ${p}`).join("\n")}`;
}

export function connectorsFromEnv(
  modules: readonly AnyConnectorModule[],
  env: Record<string, string | undefined>,
  deps: ConnectorDeps,
): ConnectorsFromEnv {
  const connectors: DirectoryConnector[] = [];
  const problems: string[] = [];
  for (const module of modules) {
    const names = [...module.required, ...module.optional];
    const given = names.filter((n) => (env[n] ?? "").trim() !== "");
    if (!given.some((n) => module.required.includes(n))) continue;
    const missing = module.required.filter((n) => (env[n] ?? "").trim() === "");
    for (const name of missing) {
      problems.push(`${name}: required to connect ${module.name} (${given.join(", ")} is set)`);
    }
    if (missing.length > 0) continue;
    const values = Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]]));
    const parsed = module.settings.safeParse(values);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${issue.path.join(".") || module.name}: ${issue.message}`);
      }
      continue;
    }
    connectors.push(module.create(parsed.data, deps));
  }
  return { connectors, problems };
}
