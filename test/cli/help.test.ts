// Every command, at every depth, answers --help: exit 0, nothing on stderr, and
// its own description in the text. Walks the real program, so a command added
// later is covered without touching this file.
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/run-cli';
import type { CliContext } from '../../cli/context';
import type { Sandbox } from './helpers';
import { makeSandbox, run } from './helpers';

// Registration only reads the context when a command runs.
const program = new Command('skillopt');
for (const register of COMMANDS) register(program, {} as CliContext);

function walk(cmd: Command, path: string[] = []): Array<{ path: string[]; description: string }> {
  return cmd.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [{ path: [...path, c.name()], description: c.description() }, ...walk(c, [...path, c.name()])]);
}

const commands = walk(program);
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

let sb: Sandbox;
beforeAll(async () => {
  sb = await makeSandbox();
});
afterAll(async () => {
  await sb.cleanup();
});

describe('--help', () => {
  it('finds the commands a user relies on, nested ones included', () => {
    const paths = commands.map((c) => c.path.join(' '));
    for (const expected of ['push', 'pull', 'skills', 'skills list', 'skills show', 'skills history', 'skills diff', 'status', 'hooks', 'up']) {
      expect(paths).toContain(expected);
    }
  });

  it.each(commands.map((c) => [c.path.join(' '), c] as const))('skillopt %s --help exits 0 and describes the command', async (_label, c) => {
    expect(c.description, 'every command needs a description').not.toBe('');
    const r = await run(sb, [...c.path, '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^Usage: skillopt ${c.path.join(' ')}`));
    expect(squash(r.stdout)).toContain(squash(c.description));
  });
});
