// Who and where on this machine: SKILLOPT_HOME, the user's home directory and
// the current user's name. The one rule for each, used by the CLI, the hooks,
// the worker and the store's default location. Only Node built-ins: the hooks
// load this on every event.
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';

/** The value, trimmed; undefined when unset or blank. */
/** An environment value, trimmed; undefined when unset or blank. */
export const nonBlank = (value: string | undefined): string | undefined => value?.trim() || undefined;
const given = nonBlank;

/**
 * The user's home: $HOME (or %USERPROFILE%) from `env`, else the OS's. The env
 * wins so callers that pass a temp HOME (tests, in-process commands) never
 * touch the real one (os.homedir() does not read a passed env).
 */
export function userHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || env.USERPROFILE || homedir();
}

/** A leading "~" or "~/" replaced by the user's home. */
export function expandHome(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return /^~(\/|$)/.test(path) ? join(userHome(env), path.slice(1)) : path;
}

/** SKILLOPT_HOME (absolute, relative to `cwd`, or under "~/"), default <user home>/.skillopt. */
export function skilloptHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, expandHome(given(env.SKILLOPT_HOME) ?? join(userHome(env), '.skillopt'), env));
}

function osUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined; // No passwd entry for this uid (some containers).
  }
}

/** SKILLOPT_USER, else the OS user name (then USER, LOGNAME or USERNAME), else "unknown". */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  return given(env.SKILLOPT_USER) ?? given(osUser()) ?? given(env.USER) ?? given(env.LOGNAME) ?? given(env.USERNAME) ?? 'unknown';
}
