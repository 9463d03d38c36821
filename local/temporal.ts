// The Temporal client connection from this machine's standard client settings
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, or a
// temporal.toml profile), read from a given env. Shared by `skillopt status`,
// the hooks' outbox flusher and the production worker. Not on a hook's path:
// it loads the Temporal client (the flusher is its own bundle, and `status`
// imports this on demand).
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';

export interface TemporalSettings {
  connectionOptions: ClientConnectConfig['connectionOptions'];
  namespace: string;
  /** For messages: where the client connects. */
  address: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const config = loadClientConnectConfig(env === process.env ? {} : { overrideEnvVars });
  return {
    connectionOptions: config.connectionOptions,
    namespace: config.namespace ?? 'default',
    address: config.connectionOptions.address ?? 'localhost:7233',
  };
}

/**
 * A client on the settings in `env`, `overrides` applied to its connection.
 * `lazy`: it connects on its first call; otherwise now, rejecting when Temporal is unreachable.
 */
export async function temporalClient(
  env: NodeJS.ProcessEnv = process.env,
  { lazy = false, ...overrides }: Partial<ConnectionOptions> & { lazy?: boolean } = {},
): Promise<Client> {
  const settings = temporalSettings(env);
  const options = { ...settings.connectionOptions, ...overrides };
  const connection = lazy ? Connection.lazy(options) : await Connection.connect(options);
  return new Client({ connection, namespace: settings.namespace });
}
