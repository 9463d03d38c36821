// The one place that decides which Temporal CLI (and so which dev server) runs:
// SKILLOPT_TEMPORAL_BIN, then the project's .tools/bin/temporal (built by
// `npm run setup:temporal`), then `temporal` on PATH, then the SDK's own
// download (needs internet).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { projectRoot } from './paths';

export type TemporalExecutable =
  | { type: 'existing-path'; path: string }
  | { type: 'cached-download' };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class TemporalBinaryMissingError extends Error {
  override name = 'TemporalBinaryMissingError';
}

/** `root`: the checkout whose .tools/bin is searched (a parameter so tests can use an empty one). */
export function resolveTemporalExecutable(env: NodeJS.ProcessEnv = process.env, root = projectRoot()): TemporalExecutable {
  const chosen = env.SKILLOPT_TEMPORAL_BIN;
  if (chosen) {
    if (!isExecutable(chosen)) {
      throw new TemporalBinaryMissingError(
        `SKILLOPT_TEMPORAL_BIN=${chosen} is not an executable file; fix the path or unset it`,
      );
    }
    return { type: 'existing-path', path: chosen };
  }
  const built = join(root, '.tools', 'bin', 'temporal');
  if (isExecutable(built)) return { type: 'existing-path', path: built };
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return { type: 'existing-path', path: candidate };
  }
  return { type: 'cached-download' };
}

/** The binary's path, for running `temporal server start-dev` ourselves. */
export function requireTemporalBinary(env: NodeJS.ProcessEnv = process.env, root = projectRoot()): string {
  const exe = resolveTemporalExecutable(env, root);
  if (exe.type === 'existing-path') return exe.path;
  throw new TemporalBinaryMissingError(
    'no Temporal CLI found: run `npm run setup:temporal` (needs Go), put `temporal` on PATH, or set SKILLOPT_TEMPORAL_BIN',
  );
}
