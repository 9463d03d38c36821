// Which part of a team this machine is, from its environment alone. The one
// rule, used by the CLI, the hooks and `skillopt doctor`:
//
//   central   SKILLOPT_DATABASE_URL is set: this machine reaches the shared
//             store itself (the central worker, an admin).
//   teammate  no SKILLOPT_DATABASE_URL, and Temporal client settings are given
//             (TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_PROFILE, or a
//             temporal.toml config file): everything shared goes through
//             Temporal; judge and propose run here, on this machine's queue.
//   embedded  neither: the one-machine default, a local SQLite store and
//             `skillopt up`'s dev server on localhost.
//
// Only Node built-ins: the hooks read this on arming.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { currentUser, userHome } from './home';

export type MachineMode = 'embedded' | 'central' | 'teammate';

export interface ModeReading {
  mode: MachineMode;
  /** Why, in words a person can check against their environment. */
  why: string;
}

const given = (value: string | undefined): boolean => (value?.trim() ?? '') !== '';

/** The Temporal config file envconfig reads (TEMPORAL_CONFIG_FILE, else the OS default); undefined when there is none. */
export function temporalConfigFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (given(env.TEMPORAL_CONFIG_FILE)) return env.TEMPORAL_CONFIG_FILE!.trim();
  const base =
    process.platform === 'darwin'
      ? join(userHome(env), 'Library', 'Application Support')
      : process.platform === 'win32'
        ? (env.APPDATA ?? join(userHome(env), 'AppData', 'Roaming'))
        : given(env.XDG_CONFIG_HOME)
          ? env.XDG_CONFIG_HOME!.trim()
          : join(userHome(env), '.config');
  const path = join(base, 'temporalio', 'temporal.toml');
  return existsSync(path) ? path : undefined;
}

export function machineMode(env: NodeJS.ProcessEnv = process.env): ModeReading {
  if (given(env.SKILLOPT_DATABASE_URL)) return { mode: 'central', why: 'SKILLOPT_DATABASE_URL is set: this machine uses the shared store directly' };
  const settings = ['TEMPORAL_ADDRESS', 'TEMPORAL_API_KEY', 'TEMPORAL_PROFILE'].filter((name) => given(env[name]));
  const file = temporalConfigFile(env);
  if (settings.length > 0 || file) {
    const from = [...settings, ...(file ? [file] : [])].join(', ');
    return { mode: 'teammate', why: `Temporal settings (${from}) and no SKILLOPT_DATABASE_URL: shared data goes through Temporal, judging runs here` };
  }
  return { mode: 'embedded', why: 'no Temporal settings and no SKILLOPT_DATABASE_URL: the local SQLite store and `skillopt up` on this machine' };
}

const MACHINE_ID_FILE = 'machine-id';

/**
 * This machine's own task queue for judge and propose: stable per user and
 * machine ("skillopt-machine-<user>-<id>"), the id made once and kept in
 * SKILLOPT_HOME (a host name alone is not unique, and can change). The
 * `invoked` event carries it; the flusher serves it.
 */
export function machineQueue(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = join(home, MACHINE_ID_FILE);
  let id = '';
  try {
    id = readFileSync(path, 'utf8').trim();
  } catch {
    // Made below.
  }
  if (!/^[a-z0-9]{8,32}$/.test(id)) {
    const made = (Math.random().toString(36).slice(2, 10) + Date.now().toString(36)).slice(0, 16);
    mkdirSync(home, { recursive: true, mode: 0o700 });
    try {
      // Exclusive: two hooks arming at once on a new machine agree on the first id written.
      writeFileSync(path, `${made}\n`, { mode: 0o600, flag: 'wx' });
      id = made;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      id = readFileSync(path, 'utf8').trim();
      if (!/^[a-z0-9]{8,32}$/.test(id)) {
        // A broken file (hand-edited): replaced.
        writeFileSync(path, `${made}\n`, { mode: 0o600 });
        id = made;
      }
    }
  }
  const user = currentUser(env).toLowerCase().replace(/[^a-z0-9_.-]/g, '_').slice(0, 40);
  return `skillopt-machine-${user}-${id}`;
}

/** For messages: which machine a queue is (the host name is informational only). */
export function machineLabel(env: NodeJS.ProcessEnv = process.env): string {
  return `${currentUser(env)}@${hostname()}`;
}
