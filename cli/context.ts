// What every command gets: its I/O (injectable so tests run commands
// in-process against temp homes), the team's skills through the backend seam
// (opened on first use), and the error types that become the one-line
// `skillopt: …` message.
import type { Command } from 'commander';
import type { TeamBackend } from '../team/backend';

export interface CliWriter {
  write(chunk: string): unknown;
}

export interface CliIo {
  stdout?: CliWriter;
  stderr?: CliWriter;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface CliContext {
  readonly stdout: CliWriter;
  readonly stderr: CliWriter;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Writes one line (or block) to stdout, newline added. */
  print(text: string): void;
  printJson(value: unknown): void;
  /**
   * The team's skills: the store (embedded, central) or the central worker
   * through Temporal (a teammate), as team/open.ts chooses. Opened on first
   * use, once per run; runCli closes it when the command ends.
   */
  openBackend(): Promise<TeamBackend>;
  /** The process exit code the command ends with (0 unless a command sets it). */
  exitCode: number;
}

/** Adds top-level commands to the program. Every command module exports one. */
export type RegisterCommands = (program: Command, ctx: CliContext) => void;

/** A failure whose message is already the one line to show the user. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Wrong arguments: exit code 2, like commander's own usage errors. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, 2);
  }
}
