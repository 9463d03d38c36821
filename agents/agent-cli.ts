// Running an agent's CLI as a model (claude -p, codex exec): one child
// process through execa, never a shell, the prompt on stdin, a deadline, and
// every way it can fail turned into a one-line ModelCallError that names the
// CLI ("codex timed out after 120s"). What the output means is the caller's.
import { execa } from 'execa';
import { formatSeconds, oneLine } from './config';
import { ModelCallError } from './types';

/** After a timeout the child gets SIGTERM, then SIGKILL this much later if it is still alive. */
export const FORCE_KILL_AFTER_MS = 2_000;
/** Plenty for one reply; a runaway child is cut off rather than buffered forever. */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface AgentCli {
  /** How messages name it: `claude`, `codex`. */
  name: string;
  /** The executable (a name looked up on PATH, or a path). */
  bin: string;
  /** What to do when the binary is missing, e.g. `install Claude Code or set SKILLOPT_CLAUDE_BIN to its path`. */
  installHint: string;
}

export interface AgentCliRunOptions {
  /** Written to stdin, which is then closed. */
  input: string;
  /** The child's whole environment (not merged with process.env). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  timeoutMs: number;
  /** Kills the child when aborted. */
  signal?: AbortSignal;
}

export interface AgentCliResult {
  stdout: string;
  stderr: string;
  /** The child ran and exited with this code (0 or not; the caller reads its output either way). */
  exitCode: number;
}

/**
 * Runs `cli.bin args` and returns its output once it exits. Throws
 * ModelCallError for a timeout, a cancellation, too much output, a binary that
 * is missing or cannot start, and a child killed by a signal.
 */
export async function runAgentCli(cli: AgentCli, args: readonly string[], options: AgentCliRunOptions): Promise<AgentCliResult> {
  const result = await execa(cli.bin, args, {
    input: options.input,
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    timeout: options.timeoutMs,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: FORCE_KILL_AFTER_MS,
    cancelSignal: options.signal,
    maxBuffer: MAX_OUTPUT_BYTES,
    reject: false,
    windowsHide: true,
  });

  if (result.timedOut) throw new ModelCallError(`${cli.name} timed out after ${formatSeconds(options.timeoutMs)}`);
  if (result.isCanceled) throw new ModelCallError(`${cli.name} call cancelled`);
  if (result.isMaxBuffer) throw new ModelCallError(`${cli.name} printed more than ${MAX_OUTPUT_BYTES} bytes`);
  if (result.exitCode === undefined && result.signal === undefined) {
    // The process never ran.
    if (result.code === 'ENOENT') throw new ModelCallError(`${cli.name} binary not found: ${JSON.stringify(cli.bin)}; ${cli.installHint}`);
    throw new ModelCallError(`could not start ${cli.name} (${JSON.stringify(cli.bin)}): ${oneLine(result.originalMessage ?? result.code ?? 'unknown error')}`);
  }
  if (result.signal !== undefined) throw new ModelCallError(`${cli.name} killed by ${result.signal}: ${oneLine(result.stderr)}`);
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 0 };
}

/** `<name> exit <code>: <detail on one line>`. */
export function exitError(name: string, exitCode: number, detail: string): ModelCallError {
  return new ModelCallError(`${name} exit ${exitCode}: ${oneLine(detail)}`);
}

/** A reply that is blank after a clean exit. */
export function emptyOutputError(name: string): ModelCallError {
  return new ModelCallError(`${name} returned empty output (exit 0): misconfigured model?`);
}
