// Where this machine's store is, from its environment: SKILLOPT_DATABASE_URL,
// else the SQLite file under SKILLOPT_HOME. The store opens what it is given
// (store/location.ts); this is the one place that reads the environment for it.
import { expandHome, skilloptHome } from './home';

export interface StoreLocation {
  /** postgres://… or sqlite:<path> (a leading ~ expanded); absent: SQLite in `home`. */
  url?: string;
  /** SKILLOPT_HOME, absolute. */
  home: string;
  /** What a relative SQLite path is relative to. */
  cwd: string;
}

export function storeLocation(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): StoreLocation {
  const url = env.SKILLOPT_DATABASE_URL?.trim() || undefined;
  const sqlite = url === undefined ? undefined : /^sqlite:(~(?:\/.*)?)$/i.exec(url);
  return {
    ...(url === undefined ? {} : { url: sqlite ? `sqlite:${expandHome(sqlite[1]!, env)}` : url }),
    home: skilloptHome(env, cwd),
    cwd,
  };
}
