// `skillopt up` as a user runs it: a real process that starts the dev server
// with its Web UI, the worker and the SQLite store, refuses a second copy, and
// stops cleanly on SIGTERM and on SIGINT (Ctrl-C).
import { execa, execaSync } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect, it } from 'vitest';
import { SearchAttributes, laneStateQuery } from '../../workflows/definitions';
import { portAcceptsConnections } from '../../worker/dev-server';
import { freePort, until } from '../helpers/wait';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'skillopt.js');

/** `skillopt up` in a fresh home on free ports, started as a process; `ready` resolves once its banner is out. */
async function startUp(prepareHome: (home: string) => void = () => undefined) {
  const home = mkdtempSync(join(tmpdir(), 'skillopt-up-'));
  prepareHome(home);
  const [temporalPort, uiPort, dashboardPort] = [await freePort(), await freePort(), await freePort()];
  // Every port its own: test files that start `up` run side by side.
  const args = ['up', '--temporal-port', String(temporalPort), '--ui-port', String(uiPort), '--dashboard-port', String(dashboardPort), '--home', home];
  const env = { ...process.env, SKILLOPT_HOME: home, SKILLOPT_DATABASE_URL: '' };
  const up = execa(process.execPath, [BIN, ...args], { env, reject: false, all: true });
  const run = {
    home,
    temporalPort,
    uiPort,
    args,
    env,
    up,
    output: '',
    async ready(): Promise<void> {
      const deadline = Date.now() + 90_000;
      // The banner's last line: its lines are separate writes and may arrive apart.
      while (!run.output.includes('Ctrl-C stops everything.')) {
        if (up.exitCode !== null || Date.now() > deadline) throw new Error(`up did not come up:\n${run.output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  up.all!.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
  return run;
}


it('starts the stack over a stale up.pid, serves the Web UI, refuses a second copy, and stops on SIGTERM', async () => {
  // A leftover up.pid whose pid now belongs to an unrelated live process (pid reuse) must not block up.
  const unrelated = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120_000)'], { stdio: 'ignore' });
  const run = await startUp((home) => writeFileSync(join(home, 'up.pid'), String(unrelated.pid)));
  const { home, temporalPort, uiPort, args, env, up } = run;
  try {
    await run.ready();
    expect(run.output).toContain(`http://localhost:${uiPort}`);

    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);

    // The custom search attributes are registered, so the UI can filter skills.
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    try {
      const client = new Client({ connection });
      const registered = await client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const key of Object.values(SearchAttributes)) expect(Object.keys(registered.customAttributes)).toContain(key.name);
    } finally {
      await connection.close();
    }

    const second = await execa(process.execPath, [BIN, ...args], { env, reject: false });
    expect(second.exitCode).not.toBe(0);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/already running \(pid \d+\)/);
  } finally {
    up.kill('SIGTERM');
    unrelated.kill('SIGKILL');
  }
  const result = await up;
  expect(result.exitCode).toBe(0);
  expect(run.output).toContain('stopping');
  expect(existsSync(join(home, 'up.pid'))).toBe(false);
}, 150_000);

it('stops cleanly on SIGINT (Ctrl-C), releasing its up.pid', async () => {
  const run = await startUp();
  const { home, temporalPort, up } = run;
  try {
    await run.ready();
    expect(existsSync(join(home, 'up.pid'))).toBe(true);
  } finally {
    up.kill('SIGINT');
  }
  const result = await up;
  expect(result.exitCode).toBe(0);
  expect(result.signal).toBeUndefined();
  expect(run.output).toContain('stopping');
  expect(existsSync(join(home, 'up.pid'))).toBe(false);
  // The dev server went down with it: its port is free again.
  expect(await portAcceptsConnections('127.0.0.1', temporalPort)).toBe(false);
}, 150_000);

/** `skillopt push` as a process; a fresh folder each time, whose SKILL.md says `step`. */
function pushSkill(env: NodeJS.ProcessEnv, name: string, step: string, ...flags: string[]) {
  const dir = mkdtempSync(join(tmpdir(), `skillopt-src-${name}-`));
  writeFileSync(join(dir, 'SKILL.md'), `---\nname: ${name}\nauthor: alice\ndescription: Use when deploying\n---\n# ${name}\n\n1. ${step}\n`);
  // --force: a fresh folder names no version it builds on (a pulled skill's frontmatter would).
  return execaSync(process.execPath, [BIN, 'push', dir, '--force', ...flags], { env: { ...env, SKILLOPT_USER: 'alice' } }).stdout;
}

it("tells a candidate's lane that the store has it: at start for one pushed while it was down, at once for one pushed while it runs", async () => {
  let offline = '';
  const run = await startUp((home) => {
    const env = { ...process.env, SKILLOPT_HOME: home, SKILLOPT_DATABASE_URL: '' };
    pushSkill(env, 'deploy', 'Run the tests.');
    offline = pushSkill(env, 'deploy', 'Run the tests, then tag.', '--canary');
  });
  const { home, temporalPort, up } = run;
  expect(offline).toContain('skillopt up is not running: the canary trial starts when it does');
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  try {
    await run.ready();
    expect(run.output).toContain('1 skill(s) with a candidate on trial: their lanes run');
    const client = new Client({ connection });
    const trialOf = (ref: string) =>
      until(
        () => client.workflow.getHandle(`skill:${ref}`).query(laneStateQuery).catch(() => undefined),
        (s) => s?.rollout !== undefined,
      );
    expect((await trialOf('deploy--alice'))?.rollout).toMatchObject({ version: 2, policy: 'canary' });

    // The central machine's CLI (the store and Temporal) while the stack runs.
    const central = { ...process.env, SKILLOPT_HOME: home, SKILLOPT_DATABASE_URL: `sqlite:${join(home, 'skillopt.db')}`, TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}` };
    pushSkill(central, 'review', 'Read the diff.');
    expect(pushSkill(central, 'review', 'Read the diff, then the tests.', '--canary')).toContain('its lane has started the canary trial');
    expect((await trialOf('review--alice'))?.rollout).toMatchObject({ version: 2, policy: 'canary' });
  } finally {
    await connection.close();
    up.kill('SIGTERM');
  }
  expect((await up).exitCode).toBe(0);
}, 150_000);

it('says which port is taken, in one line, instead of crashing', async () => {
  const home = mkdtempSync(join(tmpdir(), 'skillopt-up-'));
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const taken = (blocker.address() as { port: number }).port;
  try {
    const result = await execa(process.execPath, [BIN, 'up', '--temporal-port', String(taken), '--ui-port', String(await freePort()), '--home', home], {
      env: { ...process.env, SKILLOPT_HOME: home },
      reject: false,
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr.trim()).toBe(`skillopt: port ${taken} is already in use by another program; stop it or pass --temporal-port <port>`);
  } finally {
    blocker.close();
  }
});
