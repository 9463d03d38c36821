// The one place that chooses how this machine reaches the team's skills, from
// its mode (local/mode.ts): the store itself on the embedded and the central
// machine, the central worker through Temporal on a teammate's.
import { machineMode } from '../local/mode';
import { runningUp } from '../local/run-lock';
import { storeLocation } from '../local/store-location';
import { openStore } from '../store/open-store';
import type { TeamBackend } from './backend';
import { directBackend } from './direct';

export interface OpenBackendOptions {
  env?: NodeJS.ProcessEnv;
  /** What a relative SKILLOPT_HOME or SQLite path is relative to. */
  cwd?: string;
}

/** A teammate's machine connects to Temporal now; elsewhere the store opens at its first read. A failure is one line saying what to check. */
export async function openBackend({ env = process.env, cwd = process.cwd() }: OpenBackendOptions = {}): Promise<TeamBackend> {
  const { mode } = machineMode(env);
  if (mode === 'teammate') {
    // The Temporal client is loaded only when a command needs it.
    const [{ temporalBackend }, { connectTeam }] = await Promise.all([import('./through-temporal'), import('./connection')]);
    return temporalBackend(await connectTeam(env));
  }
  const location = storeLocation(env, cwd);
  return directBackend(() => openStore(location), {
    env,
    connect: async () => (await import('./connection')).connectTeam(env),
    // The embedded machine's lanes run in `skillopt up`; the central machine's in the team's workers.
    ...(mode === 'embedded' ? { upRunning: () => runningUp(location.home) !== undefined } : {}),
  });
}
