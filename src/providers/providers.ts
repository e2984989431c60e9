/** Every identity provider restore-user can connect to, in the order the README lists them. */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { entraModule } from "./entra.ts";
import { googleModule } from "./google.ts";
import { jumpcloudModule } from "./jumpcloud.ts";
import { larkModule } from "./lark.ts";
import { oktaModule } from "./okta.ts";
import { type AnyConnectorModule, type ConnectorsFromEnv, connectorsFromEnv } from "./registry.ts";

export const PROVIDER_MODULES: readonly AnyConnectorModule[] = [
  entraModule,
  googleModule,
  larkModule,
  oktaModule,
  jumpcloudModule,
];

/** The connectors the environment configures, or every problem with their variables. */
export function providersFrom(
  env: Record<string, string | undefined>,
  clock: Clock,
  log: Logger,
): ConnectorsFromEnv {
  return connectorsFromEnv(PROVIDER_MODULES, env, {
    now: () => clock.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log,
  });
}
