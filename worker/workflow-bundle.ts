// dist/workflow-bundle.js: the workflow code pre-bundled by `npm run build`, so a
// worker skips webpack at start. Its inputs are listed here and in
// scripts/build.mjs (plain JS, so it keeps its own copy): keep the two in step.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const WORKFLOW_BUNDLE = join('dist', 'workflow-bundle.js');

/** What the bundle is built from: the workflow code, the core it imports, and package.json (pins the SDK; `npm prune` rewrites the lockfile, so not that). */
const INPUTS = ['workflows', 'core', join('activities', 'types.ts'), 'package.json'];

function newestMtime(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** The pre-built bundle's path when it exists and no input is newer (a dev checkout may have edited the sources). */
export function freshWorkflowBundle(root: string): string | undefined {
  const bundle = join(root, WORKFLOW_BUNDLE);
  const built = statSync(bundle, { throwIfNoEntry: false });
  if (!built) return undefined;
  const newestInput = Math.max(...INPUTS.map((p) => newestMtime(join(root, p))));
  return newestInput <= built.mtimeMs ? bundle : undefined;
}
