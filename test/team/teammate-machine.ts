// A teammate's machine for the team tests that run the real CLIs: its own home
// (0700: the central part, run as nobody, cannot enter it), `claude` and
// `skillopt` on its PATH, and only the Temporal address and its user name as
// settings; its agent talks to the scripted model server.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { anthropicEnv } from '../fixtures/anthropic-server';
import { CLAUDE_BIN, REPO, baseEnv, makeSandbox, type Sandbox } from '../e2e/helpers';

export interface Teammate {
  name: string;
  box: Sandbox;
  skilloptHome: string;
  env: Record<string, string>;
}

export function makeTeammate(name: string, where: { temporalAddress: string; modelUrl: string }): Teammate {
  const box = makeSandbox(`skillopt-${name}-`);
  const bin = join(box.root, 'bin');
  mkdirSync(bin);
  symlinkSync(CLAUDE_BIN, join(bin, 'claude'));
  symlinkSync(join(REPO, 'bin', 'skillopt.js'), join(bin, 'skillopt'));
  const env = baseEnv({
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: box.home,
    SKILLOPT_USER: name,
    TEMPORAL_ADDRESS: where.temporalAddress,
    SKILLOPT_FLUSHER_LINGER_MS: '1000',
    SKILLOPT_WORKER_GRACE_MS: '5000',
    SKILLOPT_DEBUG: '1', // hooks.log, shown when a wait fails
    ...anthropicEnv(where.modelUrl),
  });
  return { name, box, skilloptHome: join(box.home, '.skillopt'), env };
}

/** `skillopt <args>` on the teammate's machine, with only its environment. */
export function skillopt(who: Teammate, args: string[], env: Record<string, string> = who.env, timeout = 90_000) {
  return execa('skillopt', args, { env, extendEnv: false, cwd: who.box.cwd, reject: false, timeout });
}
