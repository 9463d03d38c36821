// Where skillopt keeps things on disk.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: the nearest folder above this file that has package.json (works from source and dist). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('skillopt: cannot find the project root (no package.json above the code)');
    dir = parent;
  }
  return dir;
}

/** SKILLOPT_HOME, default ~/.skillopt: the embedded store, dev server state, outbox. */
export function skilloptHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SKILLOPT_HOME ?? join(homedir(), '.skillopt'));
}
