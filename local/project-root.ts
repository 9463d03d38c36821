// Where the checkout is: the Temporal CLI build, the workflow code and bundles live under it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
