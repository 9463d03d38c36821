// The one place that decides which Temporal CLI (and so which dev server) runs:
// SKILLOPT_TEMPORAL_BIN, then the project's .tools/bin/temporal (built by
// `npm run setup:temporal`), then `temporal` on PATH, then the SDK's own
// download (needs internet) into the project's .tools/download.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Duration } from '@temporalio/common';
import { projectRoot } from '../local/project-root';

export type TemporalExecutable =
  | { type: 'existing-path'; path: string }
  | { type: 'cached-download'; downloadDir?: string; ttl?: Duration };

/**
 * How long the SDK reuses its download before fetching it again. The SDK's
 * default (1 day) deletes the file first, so an offline machine would lose its
 * only dev server the next day; the file is named after the SDK version, so an
 * SDK upgrade downloads anew anyway.
 */
export const TEMPORAL_DOWNLOAD_TTL: Duration = '3650d';

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

/** What to do when there is no Temporal CLI: one clause, for the one line a user sees. */
const GET_A_TEMPORAL_CLI =
  'run `npm run setup:temporal` (needs Go), put `temporal` on PATH, or set SKILLOPT_TEMPORAL_BIN';

/**
 * Where the SDK keeps its download: the checkout's .tools/download (kept across
 * reboots, shared by `up` and the tests), created here because the SDK does not
 * create it; the SDK's default (the temp directory) when that cannot be created.
 */
function downloadTo(root: string): TemporalExecutable {
  const downloadDir = join(root, '.tools', 'download');
  try {
    mkdirSync(downloadDir, { recursive: true });
    return { type: 'cached-download', downloadDir, ttl: TEMPORAL_DOWNLOAD_TTL };
  } catch {
    return { type: 'cached-download', ttl: TEMPORAL_DOWNLOAD_TTL };
  }
}

/** `root`: the checkout whose .tools is used (a parameter so tests can use an empty one). */
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
  return downloadTo(root);
}

/** The one line `up` shows when the SDK's download (or the server it fetched) did not start. */
export function downloadFailedMessage(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/^Failed to start ephemeral server: /, '');
  if (!/^(failed to download|invalid ephemeral server download)/.test(message)) {
    return `the Temporal dev server the SDK downloaded did not start (${message}); ${GET_A_TEMPORAL_CLI}`;
  }
  // The innermost cause (e.g. "dns error: ...") follows the request URL, which the message repeats.
  const cut = message.lastIndexOf('): ');
  const cause = cut >= 0 ? message.slice(cut + 3) : message;
  return `no Temporal CLI found, and the SDK could not download one (${cause}); ${GET_A_TEMPORAL_CLI}`;
}
