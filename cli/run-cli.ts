// The `skillopt` command. runCli runs one command line in-process (tests pass
// their own env, cwd and output); the bundle's entry runs it on process.argv.
//
// Every failure ends as ONE line, `skillopt: <what is wrong and what to do>`,
// on stderr with a non-zero exit (2 for wrong usage, 1 otherwise): commander's
// own messages are captured and reworded, and no stack trace is ever printed
// (set SKILLOPT_DEBUG=1 to see one).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import packageJson from '../package.json';
import { describeError } from '../core/describe-error';
import type { TeamBackend } from '../team/backend';
import { openBackend } from '../team/open';
import type { CliContext, CliIo, RegisterCommands } from './context';
import { exitCodeFor } from './errors';
import { registerOwners } from './owners';
import { registerPull } from './pull';
import { registerPush } from './push';
import { registerReport } from './report';
import { registerSetup } from './setup';
import { registerRollout } from './rollout';
import { registerSkills } from './skills';
import { registerDashboard } from './dashboard';
import { registerDoctor } from './doctor';
import { registerHookCommands } from './hooks';
import { registerKeys } from './keys';
import { registerStatus } from './status';
import { registerUp } from './up';

export type { CliContext, CliIo, RegisterCommands } from './context';
export { CliError, UsageError } from './context';

/**
 * The top-level commands, in help order. A new command lives in its own module
 * and exports a RegisterCommands; add it here (still to come: `hooks
 * install|uninstall`, `hook <event>`, `status`).
 */
export const COMMANDS: RegisterCommands[] = [registerPush, registerPull, registerSkills, registerRollout, registerOwners, registerReport, registerStatus, registerHookCommands, registerKeys, registerDoctor, registerSetup, registerUp, registerDashboard];

function forEachCommand(cmd: Command, fn: (cmd: Command, path: string) => void, path = cmd.name()): void {
  fn(cmd, path);
  for (const sub of cmd.commands) forEachCommand(sub, fn, `${path} ${sub.name()}`);
}

interface UsageHandlers {
  onError(message: string, path: string): void;
  /** A command group was run without a subcommand: commander shows its help. */
  onImplicitHelp(cmd: Command, path: string): void;
}

function buildProgram(ctx: CliContext, commands: RegisterCommands[], handlers: UsageHandlers): Command {
  const program = new Command('skillopt')
    .description('Improve the team\'s shared agent skills (SKILL.md) from how they go in real sessions.')
    .version(packageJson.version, '-V, --version', 'print skillopt\'s version')
    .helpOption('-h, --help', 'show help for a command')
    // Program options only before the command, so `skills show --version 2` means the skill's version.
    .enablePositionalOptions()
    .showSuggestionAfterError(true);
  for (const register of commands) register(program, ctx);
  // Applied to every command after registration, so commands added with
  // addCommand() by other modules get the same treatment.
  forEachCommand(program, (cmd, path) => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (text) => void ctx.stdout.write(text),
      // Only help shown because a group got no subcommand comes here: it goes to
      // stdout, and runCli adds the one-line error.
      writeErr: (text) => {
        ctx.stdout.write(text);
        handlers.onImplicitHelp(cmd, path);
      },
      outputError: (text) => handlers.onError(text, path),
    });
  });
  return program;
}

function usageLine(message: string, path: string): string {
  const text = message.replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ').trim().replace(/\.$/, '');
  return `${text}; see \`${path} --help\``;
}

/** Runs one command line (arguments after the program name); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = {}, commands: RegisterCommands[] = COMMANDS): Promise<number> {
  let backend: Promise<TeamBackend> | undefined;
  const ctx: CliContext = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    print: (text) => void ctx.stdout.write(`${text}\n`),
    printJson: (value) => void ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    openBackend: () => (backend ??= openBackend({ env: ctx.env, cwd: ctx.cwd })),
    exitCode: 0,
  };
  const fail = (line: string, code: number): number => {
    ctx.stderr.write(`skillopt: ${line}\n`);
    return code;
  };

  let usage: { message: string; path: string } | undefined;
  let helpFor: { cmd: Command; path: string } | undefined;
  try {
    const program = buildProgram(ctx, commands, {
      onError: (message, path) => (usage = { message, path }),
      onImplicitHelp: (cmd, path) => (helpFor = { cmd, path }),
    });
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      if (err.code === 'commander.help' && helpFor) {
        const names = helpFor.cmd.commands.map((c) => c.name()).filter((n) => n !== 'help');
        return fail(`\`${helpFor.path}\` needs a command: ${names.join(', ')}; see the list above`, 2);
      }
      return fail(usage ? usageLine(usage.message, usage.path) : usageLine(err.message, 'skillopt'), 2);
    }
    if (ctx.env.SKILLOPT_DEBUG && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return fail(describeError(err), exitCodeFor(err));
  } finally {
    if (backend) await backend.then((b) => b.close()).catch(() => undefined);
  }
}

// The bundle (dist/cli.mjs, loaded by bin/skillopt.js) is the entry; so is
// this file when run directly. Imported by tests or other modules, it runs nothing.
function isEntry(): boolean {
  const self = fileURLToPath(import.meta.url);
  if (/[\\/]dist[\\/]cli\.mjs$/.test(self)) return true;
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(self);
  } catch {
    return false;
  }
}

if (isEntry()) {
  // `skillopt skills list | head` closes stdout early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
