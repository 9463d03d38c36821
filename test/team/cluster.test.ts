// The central part on a real Temporal cluster, set up as the README's "Team
// setup" tells a platform engineer to: the Temporal server (not the dev
// server) at the version the pinned CLI embeds, built from the Go module proxy
// into .tools/temporal-server by `npm run setup:temporal-server` (pretest), on
// Postgres persistence and SQL visibility whose schemas Temporal's own sql tool
// applies, started with the README's config (docs/temporal-server); `skillopt setup`; the production worker (`node dist/worker.mjs`) as
// the user nobody; two teammates, alice and bob, each with their own HOME and
// only TEMPORAL_ADDRESS, running the real Claude Code CLI against the scripted
// Messages API. Also the one-line refusals a misconfigured central part ends
// in: the worker's for a missing namespace and for missing search attributes,
// setup's for SQL visibility's per-type limit, and a teammate's push whose
// lane fails its workflow task on a search attribute the namespace lost.
//
// Skipped with one line where Go (so no server build) or Postgres is absent;
// with both present, anything that breaks fails the test.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../cli/doctor';
import { workflowIdForInvocation, type SkillRef } from '../../core/skill-ref';
import { liveFlusherPid } from '../../local/outbox/flusher-lock';
import { machineQueue } from '../../local/mode';
import { openStore, type Store } from '../../store/open-store';
import { ALL_SEARCH_ATTRIBUTES, invocationStateQuery, type InvocationSummary } from '../../workflows/definitions';
import { startAnthropicServer, type AnthropicServer } from '../fixtures/anthropic-server';
import { AGENT_ONLY_TEXT, BETTER_TESTS_LINE, BODY, SKILL, SKILL_NAME, TESTS_LINE, WRONG, deployRules } from '../e2e/deploy-skill';
import { REPO, baseEnv, describeRun, onlyToolUseId, runClaude, until, writeSkillDir } from '../e2e/helpers';
import { NOBODY, cannotRunAsNobody, installForNobody, runCentralAsNobody } from './nobody';
import { freePort } from '../helpers/wait';
import { makeTeammate as makeTeammateMachine, skillopt, type Teammate, installedSkill } from './teammate-machine';

const SERVER_DIR = join(REPO, '.tools', 'temporal-server');
const TEMPORAL_SERVER = join(SERVER_DIR, 'temporal-server');
const SQL_TOOL = join(SERVER_DIR, 'temporal-sql-tool');
/** The pinned Temporal CLI (scripts/setup-temporal.mjs): what the README has an engineer use for `temporal operator …`. */
const TEMPORAL_CLI = join(REPO, '.tools', 'bin', 'temporal');
const pgUrl = process.env.SKILLOPT_TEST_DATABASE_URL?.trim() || undefined;

/** Why this machine cannot run the test, or undefined. */
function cannotRun(): string | undefined {
  const hasGo = spawnSync('go', ['version']).status === 0;
  if (!hasGo && !existsSync(TEMPORAL_SERVER)) return 'needs Go, to build the Temporal server (`npm run setup:temporal-server`)';
  if (!pgUrl) return 'needs SKILLOPT_TEST_DATABASE_URL (Postgres; .ci/run sets it)';
  return cannotRunAsNobody();
}
const skipReason = cannotRun();
if (skipReason) console.warn(`team-cluster test skipped: ${skipReason}`);

const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };
const runId = randomBytes(5).toString('hex');
const databases = { persistence: `skillopt_temporal_${runId}`, visibility: `skillopt_temporal_vis_${runId}` };
const storeSchema = `skillopt_cluster_${runId}`;

let model: AnthropicServer;
let temporal: ResultPromise | undefined;
let temporalLog = '';
let address: string;
let connection: Connection;
let client: Client;
let store: Store;
let centralUrl: string;
let installDir: string;
let centralHome: string;
let worker: ResultPromise | undefined;
let workerOutput = '';
let alice: Teammate;
let bob: Teammate;

/** The sql tool's connection flags for the test's Postgres. */
function sqlFlags(database: string): string[] {
  const url = new URL(pgUrl!);
  return [
    '--plugin',
    'postgres12',
    '--endpoint',
    url.hostname,
    '--port',
    url.port || '5432',
    '--user',
    decodeURIComponent(url.username) || 'postgres',
    ...(url.password ? ['--password', decodeURIComponent(url.password)] : []),
    '--database',
    database,
  ];
}

async function sqlTool(database: string, args: string[]): Promise<void> {
  const result = await execa(SQL_TOOL, [...sqlFlags(database), ...args], { reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`temporal-sql-tool ${args.join(' ')} failed: ${result.all}`);
}

/** The README's server config (docs/temporal-server), a template the server renders from these variables: the test's Postgres, loopback ports. */
function serverEnv(ports: number[]): Record<string, string> {
  const url = new URL(pgUrl!);
  const names = ['FRONTEND_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_PORT', 'HISTORY_MEMBERSHIP_PORT', 'MATCHING_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_PORT', 'WORKER_MEMBERSHIP_PORT'];
  return {
    ...Object.fromEntries(names.map((name, i) => [name, String(ports[i])])),
    DB_HOST: url.hostname,
    DB_PORT: url.port || '5432',
    DB_USER: decodeURIComponent(url.username) || 'postgres',
    DB_PASSWORD: decodeURIComponent(url.password),
    DB_NAME: databases.persistence,
    VISIBILITY_DB_NAME: databases.visibility,
    BIND_ON_IP: '127.0.0.1',
  };
}

/** `node dist/worker.mjs` as nobody, with the central machine's settings. */
function startWorker(): ResultPromise {
  workerOutput = '';
  return runCentralAsNobody(join(installDir, 'dist', 'worker.mjs'), [], { home: centralHome, databaseUrl: centralUrl, env: { TEMPORAL_ADDRESS: address } }, (text) => (workerOutput += text));
}

/** What a refusing worker said: its exit code and its stderr, which must be one line. */
async function refusal(): Promise<{ exitCode: number | undefined; stderr: string }> {
  const result = await startWorker();
  return { exitCode: result.exitCode, stderr: result.stderr as string };
}

/** `skillopt` on the central machine (as its platform engineer runs it): the worker's settings. */
function centralSkillopt(args: string[], extra: Record<string, string> = {}) {
  return execa(process.execPath, [join(REPO, 'bin', 'skillopt.js'), ...args], {
    env: baseEnv({ HOME: centralHome, TEMPORAL_ADDRESS: address, SKILLOPT_DATABASE_URL: centralUrl, ...extra }),
    extendEnv: false,
    reject: false,
    timeout: 90_000,
  });
}

/** The pinned Temporal CLI against the cluster (the README's manual steps). */
function temporalCli(args: string[]) {
  return execa(TEMPORAL_CLI, [...args, '--address', address], { reject: false, all: true, timeout: 30_000 });
}

function makeTeammate(name: string): Teammate {
  return makeTeammateMachine(name, { temporalAddress: address, modelUrl: model.url });
}

const installed = (who: Teammate): string => installedSkill(who, SKILL);

function hooksLog(who: Teammate | undefined): string {
  const path = who && join(who.skilloptHome, 'hooks.log');
  return path && existsSync(path) ? readFileSync(path, 'utf8').slice(-3000) : '(no hooks.log)';
}

/** until(), with what a failed wait most needs: the worker's and the server's output and the teammates' hook logs. */
async function waitFor<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  try {
    return await until(what, fn, ok, timeoutMs, 250);
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\n--- worker ---\n${workerOutput.slice(-3000)}\n--- temporal ---\n${temporalLog.slice(-2000)}\n--- alice hooks.log ---\n${hooksLog(alice)}\n--- bob hooks.log ---\n${hooksLog(bob)}`,
    );
  }
}

beforeAll(async () => {
  if (skipReason) return;
  // Go is here, so the build is expected: pretest makes it (once), not this test.
  for (const bin of [TEMPORAL_SERVER, SQL_TOOL, TEMPORAL_CLI]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run setup:temporal && npm run setup:temporal-server\` (npm test's pretest does)`);
  }
  // Temporal's own databases, with the schemas its sql tool applies (embedded in the tool at its version).
  for (const [database, schema] of [
    [databases.persistence, 'postgresql/v12/temporal'],
    [databases.visibility, 'postgresql/v12/visibility'],
  ] as const) {
    await sqlTool(database, ['create-database']);
    await sqlTool(database, ['setup-schema', '--version', '0.0']);
    await sqlTool(database, ['update-schema', '--schema-name', schema]);
  }
  const ports: number[] = [];
  while (ports.length < 8) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  address = `127.0.0.1:${ports[0]}`;
  // The README's command, with the README's config file.
  temporal = execa(TEMPORAL_SERVER, ['--root', join(REPO, 'docs', 'temporal-server'), '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'], {
    env: baseEnv(serverEnv(ports)),
    extendEnv: false,
    reject: false,
    all: true,
  });
  temporal.all!.on('data', (chunk: Buffer) => (temporalLog = (temporalLog + chunk.toString()).slice(-20_000)));
  const served = await waitFor(
    'the Temporal server to serve',
    async () => (temporal!.exitCode !== null ? 'exited' : await Connection.connect({ address, connectTimeout: 2_000 })),
    () => true,
    90_000,
  );
  if (served === 'exited') throw new Error(`temporal-server exited during start:\n${temporalLog.slice(-3000)}`);
  connection = served;
  client = new Client({ connection, namespace: 'default' });

  // The store: a schema of its own in the test database; the worker's URL selects it.
  store = await openStore({ url: pgUrl, schema: storeSchema });
  const url = new URL(pgUrl!);
  url.searchParams.set('options', `-c search_path=${storeSchema}`);
  centralUrl = url.toString();

  model = await startAnthropicServer({ rules: deployRules() });
  installDir = installForNobody();
  centralHome = mkdtempSync(join(tmpdir(), 'skillopt-central-'));
  chownSync(centralHome, NOBODY, NOBODY);
  alice = makeTeammate('alice');
  bob = makeTeammate('bob');
}, 240_000);

afterAll(async () => {
  for (const who of [alice, bob]) {
    if (who) await until('flushers to exit', () => liveFlusherPid(who.skilloptHome), (pid) => pid === undefined, 15_000).catch(() => undefined);
  }
  if (worker) {
    worker.kill('SIGTERM');
    await Promise.race([worker, new Promise((r) => setTimeout(r, 20_000))]);
    worker.kill('SIGKILL');
  }
  await connection?.close();
  if (temporal) {
    temporal.kill('SIGTERM');
    await Promise.race([temporal, new Promise((r) => setTimeout(r, 20_000))]);
    temporal.kill('SIGKILL');
    await temporal;
  }
  await store?.close();
  if (!skipReason) {
    // Also after a failed start: the sql tool may have created the databases already.
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      await admin.query(`drop schema if exists "${storeSchema}" cascade`);
      for (const database of Object.values(databases)) await admin.query(`drop database if exists "${database}" with (force)`);
    } finally {
      await admin.end();
    }
  }
  await model?.close();
  for (const who of [alice, bob]) if (who) rmSync(who.box.root, { recursive: true, force: true });
  if (centralHome) rmSync(centralHome, { recursive: true, force: true });
  if (installDir && installDir !== REPO) rmSync(installDir, { recursive: true, force: true });
}, 90_000);

// execa strips the one final newline.
const ONE_LINE = /^skillopt worker: [^\n]+$/;

describe.skipIf(skipReason !== undefined)('the central part on a self-hosted Temporal server (Postgres, SQL visibility), the worker as nobody', () => {
  it('the worker refuses a namespace that does not exist, in one line naming the fix', async () => {
    const { exitCode, stderr } = await refusal();
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(ONE_LINE);
    expect(stderr).toBe(
      'skillopt worker: namespace default does not exist; fix: run `skillopt setup` with the same Temporal settings (it creates the namespace and registers the search attributes where the server allows it), or set TEMPORAL_NAMESPACE to the team\'s namespace',
    );
  }, 60_000);

  it('the worker refuses a namespace without skillopt\'s search attributes, in one line naming the fix', async () => {
    const created = await temporalCli(['operator', 'namespace', 'create', '--namespace', 'default']);
    expect(created.exitCode, created.all).toBe(0);
    const { exitCode, stderr } = await waitFor('the new namespace to be seen', refusal, (r) => !r.stderr.includes('does not exist'), 60_000);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(ONE_LINE);
    expect(stderr).toMatch(/^skillopt worker: namespace default lacks skillopt's search attributes SkillRef, SkillName, SkillAuthor, SkillVersion, SkillUser, Verdict, ImprovementsPublished .*; fix: run `skillopt setup`/);
  }, 90_000);

  it("setup says when SQL visibility's per-type limit stands in the way, and registers nothing", async () => {
    expect((await temporalCli(['operator', 'namespace', 'create', '--namespace', 'crowded'])).exitCode).toBe(0);
    const taken = await waitFor(
      'two Int attributes in namespace crowded',
      () => temporalCli(['operator', 'search-attribute', 'create', '--namespace', 'crowded', '--name', 'OrderCount', '--type', 'Int', '--name', 'RetryCount', '--type', 'Int']),
      (r) => r.exitCode === 0,
      60_000,
    );
    expect(taken.exitCode).toBe(0);
    const setup = await centralSkillopt(['setup'], { TEMPORAL_NAMESPACE: 'crowded' });
    expect(setup.exitCode).toBe(1);
    expect(setup.stderr).toMatch(/^skillopt: [^\n]+$/);
    expect(setup.stderr).toMatch(
      /allows 3 custom Int search attributes .* and OrderCount, RetryCount take 2; skillopt needs 2 more \(SkillVersion, ImprovementsPublished\), so nothing was registered: give skillopt a namespace of its own/,
    );
    const listed = await temporalCli(['operator', 'search-attribute', 'list', '--namespace', 'crowded']);
    expect(listed.all).not.toContain('SkillRef');
  }, 120_000);

  it('`skillopt setup` registers the search attributes and migrates the store; again, it changes nothing', async () => {
    const first = await centralSkillopt(['setup']);
    expect(first.exitCode, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toContain('namespace default exists');
    expect(first.stdout).toContain(`registered search attributes ${ALL_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')} in default`);
    expect(first.stdout).toContain('store: reachable and migrated');
    const again = await centralSkillopt(['setup']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('search attributes: all 7 registered in default');
    expect(again.stdout).not.toContain('waiting');
  }, 120_000);

  it('the worker starts as nobody and polls; doctor on the central machine checks what the worker checks', async () => {
    worker = startWorker();
    await waitFor('the worker to poll', () => workerOutput, (out) => out.includes('skillopt worker: polling') || worker!.exitCode !== null, 90_000);
    expect(workerOutput).toContain(`skillopt worker: polling "skillopt" in namespace default at ${address}; store: Postgres at`);
    const doctor = await centralSkillopt(['doctor', '--json']);
    const report = JSON.parse(doctor.stdout) as DoctorReport;
    expect(report.mode).toBe('central');
    const status = Object.fromEntries(report.checks.map((c) => [c.id, `${c.status}: ${c.detail}`]));
    expect(status.namespace).toBe('ok: default exists');
    expect(status['search-attributes']).toBe('ok: all 7 registered');
    expect(status.store).toMatch(/^ok: .*reachable and migrated$/);
    expect(await waitFor('the shared queue line', async () => {
      const r = JSON.parse((await centralSkillopt(['doctor', '--json'])).stdout) as DoctorReport;
      return r.checks.find((c) => c.id === 'shared-queue')!;
    }, (c) => c.status === 'ok')).toMatchObject({ status: 'ok' });
  }, 150_000);

  it("teammates with only TEMPORAL_ADDRESS: alice's push reaches bob's pull", async () => {
    for (const who of [alice, bob]) {
      expect(Object.keys(who.env).filter((k) => /DATABASE|PG|TEMPORAL_(?!ADDRESS)/.test(k))).toEqual([]);
      const install = await skillopt(who, ['hooks', 'install']);
      expect(install.exitCode, `${install.stdout}\n${install.stderr}`).toBe(0);
    }
    const source = join(alice.box.root, 'src', 'deploy-checklist');
    writeSkillDir(source, 'deploy-checklist', 'Use when deploying services to production', BODY);
    const push = await skillopt(alice, ['push', source, '--author', 'alice']);
    expect(push.exitCode, `${push.stdout}\n${push.stderr}\n${workerOutput}`).toBe(0);
    const pull = await skillopt(bob, ['pull']);
    expect(pull.exitCode, `${pull.stdout}\n${pull.stderr}`).toBe(0);
    expect(installed(bob)).toMatch(/^version: 1$/m);
    expect(installed(bob)).toContain(TESTS_LINE);
    expect((await skillopt(alice, ['pull'])).exitCode).toBe(0);
  }, 120_000);

  it("a pushback in alice's session publishes a candidate without the central part reading the transcript; SQL visibility lists it by Verdict", async () => {
    const session = await runClaude('deploy the service', { env: alice.env, cwd: alice.box.cwd, timeoutMs: 60_000 });
    expect(session.exitCode, describeRun(session)).toBe(0);
    const sessionId = session.json!.session_id!;
    const workflowId = workflowIdForInvocation(REF, sessionId, onlyToolUseId(model, sessionId));
    const invocation = () => client.workflow.getHandle(workflowId).query(invocationStateQuery).catch(() => undefined);
    await waitFor('the invocation workflow', invocation, (s) => s !== undefined);
    const reaction = await runClaude(WRONG, { env: alice.env, cwd: alice.box.cwd, args: ['--resume', sessionId], timeoutMs: 60_000 });
    expect(reaction.exitCode, describeRun(reaction)).toBe(0);

    const v2 = await waitFor('a candidate v2 in the store', () => store.latestVersion(REF), (v) => v?.version === 2, 120_000);
    expect(v2).toMatchObject({ state: 'candidate' });
    expect(v2!.body).toContain(BETTER_TESTS_LINE);
    expect((await client.workflow.getHandle(workflowId).result()) as InvocationSummary).toMatchObject({ verdict: 'failed', user: 'alice' });

    // Judged and proposed on alice's machine, whose transcript nobody (the worker's user) cannot read.
    const aliceQueue = machineQueue(alice.skilloptHome, alice.env);
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    expect(events.map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a?.activityType?.name === 'judgeReaction').map((a) => a!.taskQueue!.name)).toEqual([aliceQueue]);
    const history = JSON.stringify(await client.workflow.getHandle(`skill:${SKILL}`).fetchHistory(), (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    expect(history).not.toContain(AGENT_ONLY_TEXT);
    expect(workerOutput).not.toContain('no-claude-here');

    // The Temporal UI's filter, answered by SQL visibility.
    const listed = await waitFor(
      'the failed invocation in SQL visibility',
      async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query: `SkillRef = '${SKILL}' AND Verdict = 'failed'` })) ids.push(wf.workflowId);
        return ids;
      },
      (ids) => ids.length > 0,
    );
    expect(listed).toEqual([workflowId]);
    const pulled = await skillopt(bob, ['pull']);
    expect(pulled.exitCode).toBe(0);
    expect(installed(bob)).toContain(BETTER_TESTS_LINE);
  }, 240_000);

  it('the worker stops on SIGTERM with exit 0, and at its next start tells the lane of the open candidate, as `skillopt up` does', async () => {
    worker!.kill('SIGTERM');
    expect((await worker!).exitCode, workerOutput).toBe(0);
    worker = startWorker();
    await waitFor('the worker to poll again', () => workerOutput, (out) => out.includes('their lanes run') || worker!.exitCode !== null, 90_000);
    expect(workerOutput).toContain('skillopt worker: 1 skill(s) with a candidate on trial: their lanes run');
  }, 120_000);

  it("a lane that fails its workflow task on a lost search attribute: the teammate's push says the central part is misconfigured, in one line", async () => {
    // A search attribute removed while the worker runs (or a worker older than its check).
    const removed = await temporalCli(['operator', 'search-attribute', 'remove', '--namespace', 'default', '--name', 'SkillName', '--yes']);
    expect(removed.exitCode, removed.all).toBe(0);
    // The history service sees the namespace's new config after its cache refresh.
    await new Promise((r) => setTimeout(r, 12_000));
    const source = join(alice.box.root, 'src', 'release-notes');
    writeSkillDir(source, 'release-notes', 'Use when writing release notes', '# Release notes\n\n1. List the merged changes.\n');
    // As a teammate runs it (SKILLOPT_DEBUG would add the stack).
    const { SKILLOPT_DEBUG: _debug, ...quiet } = alice.env;
    const push = await skillopt(alice, ['push', source, '--author', 'alice'], quiet);
    expect(push.exitCode).toBe(1);
    expect(push.stderr).toMatch(/^skillopt: [^\n]+$/);
    expect(push.stderr).toMatch(/^skillopt: the team's central part is misconfigured: .*`skillopt doctor`.*`skillopt setup`/);
    const doctor = JSON.parse((await skillopt(alice, ['doctor', '--json'])).stdout) as DoctorReport;
    expect(doctor.checks.find((c) => c.id === 'search-attributes')).toMatchObject({ status: 'fail', detail: expect.stringContaining('lacks skillopt\'s search attributes SkillName') });
  }, 150_000);
});
