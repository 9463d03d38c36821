// `skillopt doctor` against a real Temporal dev server: with and without a
// worker polling the shared queue, hooks in one settings file or both, an
// outbox with events waiting, Temporal unreachable, and the --json shape. The
// agent CLI is a small script standing in for `claude` (its --version and one
// JSON reply).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../cli/doctor';
import { passingActivities, startTestServer, workflowBundle } from '../helpers/temporal';
import { until } from '../helpers/wait';
import { makeSandbox, run, type RunResult, type Sandbox } from './helpers';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

let server: TestWorkflowEnvironment;
let sb: Sandbox;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.teardown();
});

beforeEach(async () => {
  sb = await makeSandbox();
  const fakeClaude = join(sb.dir, 'claude');
  await writeFile(
    fakeClaude,
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "2.1.197 (Claude Code)"; exit 0; fi\ncat >/dev/null\necho '{"type":"result","subtype":"success","is_error":false,"result":"OK"}'\n`,
  );
  await chmod(fakeClaude, 0o755);
  Object.assign(sb.env, { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', SKILLOPT_CLAUDE_BIN: fakeClaude });
});
afterEach(async () => {
  await sb.cleanup();
});

function lines(result: RunResult): string[] {
  return result.stdout.split('\n').filter((l) => l !== '');
}

function line(result: RunResult, title: string): string {
  const found = lines(result).find((l) => l.slice(2).startsWith(`${title}:`));
  if (!found) throw new Error(`no "${title}" line in:\n${result.stdout}`);
  return found;
}

async function json(env: NodeJS.ProcessEnv = {}): Promise<{ code: number; report: DoctorReport }> {
  const r = await run(sb, ['doctor', '--json'], env);
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport };
}

describe('skillopt doctor', () => {
  it('a teammate machine with no worker on the shared queue: ✗ with the fix, exit 1', async () => {
    await run(sb, ['hooks', 'install']);
    const r = await run(sb, ['doctor']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    // One line per check, each starting with its mark.
    for (const l of lines(r)) expect(l).toMatch(/^[✓✗·] /);
    expect(line(r, 'mode')).toMatch(/^✓ mode: teammate — Temporal settings \(TEMPORAL_ADDRESS\)/);
    expect(line(r, 'Temporal')).toBe(`✓ Temporal: reachable at ${server.address}`);
    expect(line(r, 'namespace')).toBe('✓ namespace: default exists');
    expect(line(r, 'search attributes')).toMatch(/^✓ search attributes: all 7 registered$/);
    expect(line(r, 'shared queue')).toMatch(/^✗ shared queue: no worker polling: 0 workflow pollers, 0 activity pollers on "skillopt"; fix: start the central worker/);
    expect(line(r, "this machine's queue")).toMatch(/^· this machine's queue: "skillopt-machine-alice-[a-z0-9]+": no worker now; the flusher serves it on demand/);
    expect(line(r, 'agent CLI')).toMatch(/^✓ agent CLI: .*claude 2\.1\.197 \(Claude Code\)$/);
    expect(line(r, 'hooks')).toMatch(/^✓ hooks: Claude Code: installed in .*\.claude\/settings\.json \(user\), running node ".*dist\/hook\.cjs"$/);
    expect(line(r, 'outbox')).toBe('✓ outbox: empty: every hook event was delivered');
    expect(line(r, 'judgments')).toMatch(/^✓ judgments: 0 of 100 model calls used today \(\d{4}-\d{2}-\d{2}, UTC/);
  });

  it('says when this machine has used its daily cap of model calls, and a bad cap', async () => {
    const day = new Date().toISOString().slice(0, 10);
    mkdirSync(join(sb.skilloptHome, 'model-calls'), { recursive: true });
    writeFileSync(join(sb.skilloptHome, 'model-calls', `${day}.count`), '3\n');
    const capped = await run(sb, ['doctor'], { SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '3' });
    expect(line(capped, 'judgments')).toMatch(/^✗ judgments: daily cap reached: 3 of 3 model calls .*; fix: raise SKILLOPT_MAX_MODEL_CALLS_PER_DAY/);
    expect(capped.code).toBe(1);
    const bad = await run(sb, ['doctor'], { SKILLOPT_MAX_MODEL_CALLS_PER_DAY: 'lots' });
    expect(line(bad, 'judgments')).toMatch(/^✗ judgments: .*SKILLOPT_MAX_MODEL_CALLS_PER_DAY/);
  });

  it('with a worker polling the shared queue every check passes, exit 0; --model makes one call', async () => {
    await run(sb, ['hooks', 'install']);
    const worker = await Worker.create({
      connection: server.nativeConnection,
      taskQueue: 'skillopt',
      workflowBundle: await workflowBundle(),
      activities: passingActivities(),
    });
    await worker.runUntil(async () => {
      const r = await until(
        () => run(sb, ['doctor', '--model']),
        (res) => res.code === 0,
        30_000,
        500,
      );
      expect(line(r, 'shared queue')).toMatch(/^✓ shared queue: 1 workflow poller, 1 activity poller on "skillopt"$/);
      expect(line(r, 'model call')).toMatch(/^✓ model call: the judge model answered in [\d.]+ s \("OK"\)$/);
      expect(lines(r).filter((l) => l.startsWith('✗'))).toEqual([]);
    });
  });

  it('hooks an older skillopt wrote (shell form, waited for) are ✗ until `hooks install` upgrades them, once', async () => {
    const entry = join(REPO_ROOT, 'dist', 'hook.cjs');
    const settingsPath = join(sb.home, '.claude', 'settings.json');
    const older = (event: string) => [{ ...(event === 'PreToolUse' ? { matcher: 'Skill' } : {}), hooks: [{ type: 'command', command: `node "${entry}" hook ${event}`, timeout: 10 }] }];
    mkdirSync(join(sb.home, '.claude'), { recursive: true });
    writeFileSync(settingsPath, JSON.stringify({ model: 'opus', hooks: { SessionStart: older('SessionStart'), PreToolUse: older('PreToolUse'), UserPromptSubmit: older('UserPromptSubmit'), SessionEnd: older('SessionEnd') } }));
    expect(line(await run(sb, ['doctor']), 'hooks')).toMatch(/^✗ hooks: .*settings\.json lacks UserPromptExpansion; fix: run `skillopt hooks install --scope user`$/);
    // Only the new hook missing: the older ones are named, with the fix.
    writeFileSync(settingsPath, JSON.stringify({ model: 'opus', hooks: { SessionStart: older('SessionStart'), PreToolUse: older('PreToolUse'), UserPromptExpansion: older('UserPromptExpansion'), UserPromptSubmit: older('UserPromptSubmit'), SessionEnd: older('SessionEnd') } }));
    expect(line(await run(sb, ['doctor']), 'hooks')).toMatch(
      /^✗ hooks: .*settings\.json holds an older skillopt's SessionStart, PreToolUse, UserPromptExpansion, UserPromptSubmit, SessionEnd hooks \(Claude Code may wait for them before it answers\); fix: run `skillopt hooks install --scope user` to upgrade them in place$/,
    );
    expect((await run(sb, ['hooks', 'install'])).stdout).toMatch(/^installed skillopt hooks \(SessionStart, PreToolUse, UserPromptExpansion, UserPromptSubmit, SessionEnd\)/);
    expect(line(await run(sb, ['doctor']), 'hooks')).toMatch(/^✓ hooks: Claude Code: installed in .*settings\.json \(user\), running node ".*dist\/hook\.cjs"$/);
    expect((await run(sb, ['hooks', 'install'])).stdout).toMatch(/already installed/);
    expect(JSON.parse(readFileSync(settingsPath, 'utf8'))).toMatchObject({ model: 'opus' });
  });

  it('hooks in both the user and the project settings file are ✗', async () => {
    await run(sb, ['hooks', 'install', '--scope', 'user']);
    await run(sb, ['hooks', 'install', '--scope', 'project']);
    const r = await run(sb, ['doctor']);
    expect(r.code).toBe(1);
    expect(line(r, 'hooks')).toMatch(/^✗ hooks: installed in .*home\/\.claude\/settings\.json and .*project\/\.claude\/settings\.json: Claude Code runs each hook twice; fix: keep one: `skillopt hooks uninstall --scope project`/);
    expect(line(await run(sb, ['doctor'], { HOME: join(sb.dir, 'elsewhere') }), 'hooks')).toMatch(/^✓ hooks: Claude Code: installed in .*project.*\(project\)/);
  });

  it('Codex hooks alone count as installed; both agents are listed', async () => {
    const codexHome = join(sb.dir, 'codex-home');
    await run(sb, ['hooks', 'install', '--agent', 'codex'], { CODEX_HOME: codexHome });
    expect(line(await run(sb, ['doctor'], { CODEX_HOME: codexHome }), 'hooks')).toMatch(/^✓ hooks: Codex: installed in .*codex-home\/hooks\.json \(user\), running node ".*dist\/hook\.cjs"$/);
    await run(sb, ['hooks', 'install'], { CODEX_HOME: codexHome });
    expect(line(await run(sb, ['doctor'], { CODEX_HOME: codexHome }), 'hooks')).toMatch(/^✓ hooks: Claude Code: installed in .*settings\.json .*; Codex: installed in .*hooks\.json/);
    expect(line(await run(sb, ['doctor'], { CODEX_HOME: join(sb.dir, 'none') }), 'hooks')).toMatch(/^✓ hooks: Claude Code: installed in [^;]*$/);

    // A hook group the user puts ahead of skillopt's moves it: its trust no longer matches, and Codex would skip it.
    const hooksJson = join(codexHome, 'hooks.json');
    const config = JSON.parse(await readFile(hooksJson, 'utf8')) as { hooks: Record<string, unknown[]> };
    config.hooks.PreToolUse!.unshift({ matcher: 'Bash', hooks: [{ type: 'command', command: 'audit.sh' }] });
    await writeFile(hooksJson, JSON.stringify(config));
    const r = await run(sb, ['doctor'], { CODEX_HOME: codexHome });
    expect(r.code).toBe(1);
    expect(line(r, 'hooks')).toMatch(/^✗ hooks: Codex skips 1 of skillopt's hooks: .*config\.toml does not trust them as they stand in .*hooks\.json; fix: run `skillopt hooks install --agent codex --scope user`$/);
    await run(sb, ['hooks', 'install', '--agent', 'codex'], { CODEX_HOME: codexHome });
    expect(line(await run(sb, ['doctor'], { CODEX_HOME: codexHome }), 'hooks')).toMatch(/^✓ hooks: Claude Code: .*; Codex: installed in/);
  });

  it('an outbox with events waiting is reported with their count and why', async () => {
    const outbox = join(sb.skilloptHome, 'outbox');
    await mkdir(join(outbox, 'failed'), { recursive: true });
    for (let i = 0; i < 3; i++) await writeFile(join(outbox, `${String(1_700_000_000_000_000 + i)}-42-abc${i}.json`), '{}');
    let r = await run(sb, ['doctor']);
    expect(line(r, 'outbox')).toMatch(/^✗ outbox: 3 events waiting and no flusher runs; fix: the next hook event starts one/);
    await writeFile(join(outbox, 'stalled'), '');
    await writeFile(join(outbox, 'failed', '1700000000000000-42-dead.json'), '{}');
    r = await run(sb, ['doctor']);
    expect(r.code).toBe(1);
    expect(line(r, 'outbox')).toMatch(
      /^✗ outbox: 3 events waiting: the last flusher gave up while Temporal was unreachable; 1 refused event\(s\) in .*outbox\/failed; fix: make Temporal reachable/,
    );
  });

  it('Temporal unreachable: ✗ with the fix, the checks that need it say why they did not run, exit 1, quickly', async () => {
    const started = Date.now();
    const r = await run(sb, ['doctor'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(r.code).toBe(1);
    expect(line(r, 'Temporal')).toBe(
      '✗ Temporal: cannot reach Temporal at 127.0.0.1:1 (connection refused); fix: check TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS or the temporal.toml profile), and that the central Temporal is up',
    );
    expect(line(r, 'namespace')).toBe('· namespace: not checked: Temporal is unreachable');
    expect(line(r, 'shared queue')).toBe('· shared queue: not checked: Temporal is unreachable');
  });

  it('a missing agent CLI and a missing namespace are ✗ with their fixes', async () => {
    const r = await run(sb, ['doctor'], { SKILLOPT_CLAUDE_BIN: join(sb.dir, 'no-such-claude'), TEMPORAL_NAMESPACE: 'nope' });
    expect(line(r, 'agent CLI')).toMatch(/^✗ agent CLI: `.*no-such-claude` not found; fix: install Claude Code/);
    expect(line(r, 'namespace')).toMatch(/^✗ namespace: nope is not there .*; fix: set TEMPORAL_NAMESPACE/);
    expect(line(r, 'search attributes')).toMatch(/^· search attributes: not checked: no namespace nope$/);
  });

  it('with the pi backend, the agent CLI is the pinned pi (which prints its version on stderr), or ✗ saying how to get it', async () => {
    const pi = await run(sb, ['doctor'], { SKILLOPT_MODEL_BACKEND: 'pi', SKILLOPT_PI_BIN: resolve('node_modules/.bin/pi') });
    expect(line(pi, 'agent CLI')).toMatch(/^✓ agent CLI: .*node_modules\/\.bin\/pi 0\.73\.1$/);
    const missing = await run(sb, ['doctor'], { SKILLOPT_MODEL_BACKEND: 'pi', SKILLOPT_PI_BIN: join(sb.dir, 'no-such-pi') });
    expect(line(missing, 'agent CLI')).toMatch(/^✗ agent CLI: `.*no-such-pi` not found; fix: install the pi coding agent .* or set SKILLOPT_PI_BIN to its path$/);
  });

  it('--json: ok, mode, why and one entry per check', async () => {
    const { code, report } = await json({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, mode: 'teammate', why: expect.stringContaining('TEMPORAL_ADDRESS') });
    expect(report.checks.map((c) => c.id)).toEqual([
      'mode',
      'temporal',
      'namespace',
      'search-attributes',
      'shared-queue',
      'machine-queue',
      'agent-cli',
      'hooks',
      'manifest',
      'signing-key',
      'pull',
      'outbox',
      'judgments',
    ]);
    for (const check of report.checks) {
      expect(['ok', 'fail', 'info']).toContain(check.status);
      expect(typeof check.detail).toBe('string');
      if (check.status === 'fail') expect(check.fix).toEqual(expect.any(String));
    }
    expect(report.checks.find((c) => c.id === 'temporal')).toMatchObject({ status: 'fail', fix: expect.stringContaining('TEMPORAL_ADDRESS') });
  });

  it('the embedded default says so and checks what it can', async () => {
    const { report } = await json({ TEMPORAL_ADDRESS: undefined, TEMPORAL_NAMESPACE: undefined });
    expect(report.mode).toBe('embedded');
    expect(report.checks.some((c) => c.id === 'machine-queue')).toBe(false);
    const temporal = report.checks.find((c) => c.id === 'temporal')!;
    // Whatever runs on localhost:7233 here: reachable, or ✗ saying to start the embedded stack.
    if (temporal.status === 'fail') expect(temporal.fix).toMatch(/npm start/);
  });

  it('the central machine: the store line says whether it is migrated; `skillopt setup` migrates it and keeps what the namespace has', async () => {
    const central = { TEMPORAL_ADDRESS: server.address, SKILLOPT_DATABASE_URL: `sqlite:${join(sb.dir, 'central.db')}` };
    const before = await json(central);
    expect(before.report.mode).toBe('central');
    expect(before.report.checks.find((c) => c.id === 'store')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/: reachable; \d+ migration\(s\) to run .*which the worker or `skillopt setup` runs at start$/) });
    const setup = await run(sb, ['setup'], central);
    expect(setup).toEqual({
      code: 0,
      stdout: 'namespace default exists\nsearch attributes: all 7 registered in default\nstore: reachable and migrated\nready: start the worker (`node dist/worker.mjs`) with these settings\n',
      stderr: '',
    });
    const after = await json(central);
    expect(after.report.checks.find((c) => c.id === 'store')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/: reachable and migrated$/) });
    expect(after.report.checks.find((c) => c.id === 'search-attributes')).toMatchObject({ status: 'ok' });
  });

  it('the central machine with an unreachable store: ✗ with the fix', async () => {
    const { report } = await json({ SKILLOPT_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/skillopt' });
    expect(report.checks.find((c) => c.id === 'store')).toMatchObject({ status: 'fail', fix: expect.stringContaining('SKILLOPT_DATABASE_URL') });
  });
});
