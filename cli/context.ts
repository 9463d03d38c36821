// What every command gets: its I/O (injectable so tests run commands
// in-process against temp homes), a lazily opened store, and the error types
// that become the one-line `skillopt: …` message.
import type { Command } from 'commander';
import type { Store } from '../store/types';
import type { PushPublisher } from '../sync/push';
import type { TeamConnection } from '../sync/remote';
import type { SkillSource } from '../sync/source';

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
  /** Opened on first use, once per run; runCli closes it when the command ends. */
  openStore(): Promise<Store>;
  /**
   * Where the shared skills are read: the store (embedded, central), or the
   * central worker through Temporal on a teammate machine (local/mode.ts).
   */
  openSource(): Promise<SkillSource>;
  /** Where a push is published: the store, or the skill's lane through Temporal on a teammate machine. */
  openPublisher(): Promise<PushPublisher>;
  /** Temporal, with the standard client settings: what acts on a running workflow (approve, reject) goes through it in every mode. */
  openTeam(): Promise<TeamConnection>;
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
