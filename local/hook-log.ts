// The hooks' error log, <SKILLOPT_HOME>/hooks.log: a hook may not print (stdout
// reaches the model, stderr shows up in transcripts), so problems go here; so
// do those of the processes the hooks start (the flusher and its worker), which
// have no stdio. Logging never throws, and the file is kept small by rotating it once.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LOG_BYTES = 1024 * 1024;

export interface HookLog {
  error(what: string, err?: unknown): void;
  /** Written only with SKILLOPT_DEBUG=1 (to the file too: `tail -f hooks.log` to watch). */
  debug(what: string): void;
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.replace(/\s+/g, ' ');
  return String(err).replace(/\s+/g, ' ');
}

export function openHookLog(home: string, source: string, debug: boolean): HookLog {
  const path = join(home, 'hooks.log');
  const write = (level: string, line: string): void => {
    // Never mirrored to stderr, even with SKILLOPT_DEBUG: Claude Code puts a hook's stderr in the transcript.
    const text = `${new Date().toISOString()} ${level} [${source} ${process.pid}] ${line}\n`;
    try {
      try {
        if (statSync(path).size > MAX_LOG_BYTES) renameSync(path, `${path}.1`);
      } catch {
        mkdirSync(home, { recursive: true, mode: 0o700 });
      }
      appendFileSync(path, text, { mode: 0o600 });
    } catch {
      // Nowhere left to report to; the hook must still succeed.
    }
  };
  return {
    error: (what, err) => write('ERROR', err === undefined ? what : `${what}: ${describe(err)}`),
    debug: (what) => {
      if (debug) write('DEBUG', what);
    },
  };
}
