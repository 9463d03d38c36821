// `skillopt doctor [--model] [--json]`: is this machine set up? One line per
// check, ✓ or ✗ with the fix on the same line (· for a line that only informs
// or a check that could not run, with why); exit 1 when any check fails.
//
// Checks: the machine's mode and why (local/mode.ts); Temporal reachable, the
// namespace, skillopt's search attributes (team/central-namespace, the worker's own
// check); a worker polling the shared queue; on the central machine the store
// (reachable, migrated);
// in teammate mode this machine's own queue (informational: its worker runs on
// demand); the agent CLI (and with --model a tiny tools-less call); the hooks,
// installed in exactly one settings file; the manifest; the outbox; the last
// local judgments and the daily cap; this machine's signing key (never its
// secret) and whether the last pulls refused a version.
//
// Fast: every Temporal call has a ~3 s deadline, and the checks that need no
// server run beside the ones that do.
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { execa } from 'execa';
import type { ModelBackend } from '../agents/model-backend';
import { MANIFEST_FILE, parseManifest } from '../core/manifest';
import { AGENTS, AGENT_NAMES, type AgentName } from '../agents/registry';
import { pulledSkillFolders } from '../agents/skill-folders';
import { existsSync } from 'node:fs';
import { AGENT_SETUPS } from '../agents/setups';
import { currentUser, skilloptHome, userHome } from '../local/home';
import { modelCallsToday } from '../local/model-calls';
import { machineMode, machineQueue, type MachineMode } from '../local/mode';
import { DEAD_LETTER_DIR, listDeadLettered, listOutbox, outboxDir, outboxStalled } from '../local/outbox/files';
import { liveFlusherPid } from '../local/outbox/flusher-lock';
import { runningUp } from '../local/run-lock';
import { ALL_SEARCH_ATTRIBUTES, TASK_QUEUE } from '../workflows/definitions';
import type { CliContext, RegisterCommands } from './context';
import { storeLocation } from '../local/store-location';
import { keyFingerprint } from '../core/signing';
import { readPinnedKeys } from '../local/pinned-keys';
import { readPullRefusals } from '../local/pull-refusals';
import { readSigningKey } from '../local/signing-key';

/** Connecting, and each call after it. */
export const DOCTOR_TIMEOUT_MS = 3_000;
/** `claude --version` starts a Node program: a little more than a round trip. */
const VERSION_TIMEOUT_MS = 8_000;
/** --model: one short reply from the configured backend. */
const MODEL_CALL_TIMEOUT_MS = 90_000;
/** A poller not seen for this long is gone (a live worker polls again at least every ~70 s). */
const POLLER_FRESH_MS = 2 * 60_000;

export type CheckStatus = 'ok' | 'fail' | 'info';

export interface DoctorCheck {
  /** Stable key for scripts: mode, temporal, namespace, search-attributes, shared-queue, machine-queue, store, agent-cli, model, hooks, manifest, signing-key, pull, outbox, judgments. */
  id: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do, when status is fail. */
  fix?: string;
}

/** `skillopt doctor --json`. */
export interface DoctorReport {
  ok: boolean;
  mode: MachineMode;
  why: string;
  checks: DoctorCheck[];
}

const MARK: Record<CheckStatus, string> = { ok: '✓', fail: '✗', info: '·' };
const TITLE: Record<string, string> = {
  mode: 'mode',
  temporal: 'Temporal',
  namespace: 'namespace',
  'search-attributes': 'search attributes',
  'shared-queue': 'shared queue',
  'machine-queue': 'this machine\'s queue',
  store: 'store',
  'agent-cli': 'agent CLI',
  model: 'model call',
  hooks: 'hooks',
  manifest: 'manifest',
  'signing-key': 'signing key',
  pull: 'last pull',
  outbox: 'outbox',
  judgments: 'judgments',
};

export function formatCheck(check: DoctorCheck): string {
  return `${MARK[check.status]} ${TITLE[check.id] ?? check.id}: ${check.detail}${check.fix ? `; fix: ${check.fix}` : ''}`;
}

const ok = (id: string, detail: string): DoctorCheck => ({ id, status: 'ok', detail });
const info = (id: string, detail: string): DoctorCheck => ({ id, status: 'info', detail });
const fail = (id: string, detail: string, fix: string): DoctorCheck => ({ id, status: 'fail', detail, fix });

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}

// ---- Temporal ----

const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

function unreachableFix(mode: MachineMode, upPid: number | undefined): string {
  if (mode === 'embedded') {
    return upPid === undefined
      ? 'start it with `npm start` in the checkout (or `skillopt up`), or set TEMPORAL_ADDRESS for a team'
      : `\`skillopt up\` runs (pid ${upPid}) but not on this address: set TEMPORAL_ADDRESS to its --temporal-port`;
  }
  return 'check TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS or the temporal.toml profile), and that the central Temporal is up';
}

/** Rejects when nothing accepts a TCP connection at host:port (an address without a port is left to gRPC). */
function tcpReachable(address: string): Promise<void> {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  if (!match) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: match[1]!, port: Number(match[2]) });
    socket.setTimeout(DOCTOR_TIMEOUT_MS);
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no TCP answer in ${DOCTOR_TIMEOUT_MS / 1000} s`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'ECONNREFUSED' ? 'connection refused' : firstLine(err))));
  });
}

async function withDeadline<T>(client: Client, call: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + DOCTOR_TIMEOUT_MS, call);
}

interface Pollers {
  count: number;
  identities: string[];
}

async function pollers(client: Client, namespace: string, queue: string, taskQueueType: number, now: number): Promise<Pollers> {
  const response = await withDeadline(client, () =>
    client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: queue, kind: TASK_QUEUE_KIND_NORMAL }, taskQueueType }),
  );
  const fresh = (response.pollers ?? []).filter((p) => {
    const seconds = Number(p.lastAccessTime?.seconds ?? 0);
    return seconds === 0 || now - seconds * 1000 < POLLER_FRESH_MS;
  });
  return { count: fresh.length, identities: fresh.map((p) => p.identity ?? '?') };
}

function pollerWords(n: number, kind: string): string {
  return `${n} ${kind} poller${n === 1 ? '' : 's'}`;
}

async function temporalChecks(ctx: CliContext, mode: MachineMode, home: string): Promise<DoctorCheck[]> {
  const { temporalClient, temporalSettings } = await import('../local/temporal');
  const skipped = (why: string): DoctorCheck[] => [
    info('namespace', `not checked: ${why}`),
    info('search-attributes', `not checked: ${why}`),
    info('shared-queue', `not checked: ${why}`),
    ...(mode === 'teammate' ? [info('machine-queue', `not checked: ${why}`)] : []),
  ];
  let settings: ReturnType<typeof temporalSettings>;
  try {
    settings = temporalSettings(ctx.env);
  } catch (err) {
    return [fail('temporal', `the Temporal client settings cannot be read (${firstLine(err)})`, 'fix the TEMPORAL_* variables or the temporal.toml profile'), ...skipped('no client settings')];
  }
  const { address, namespace } = settings;
  let client: Client;
  try {
    // Lazy, then connected here: a failed attempt's channel is closed too, so the process exits now.
    client = await temporalClient(ctx.env, { lazy: true, connectTimeout: DOCTOR_TIMEOUT_MS });
  } catch (err) {
    return [fail('temporal', `the Temporal client settings cannot be used (${firstLine(err)})`, 'fix the TEMPORAL_* variables or the temporal.toml profile'), ...skipped('no client settings')];
  }
  try {
    // A refused port fails here at once; gRPC alone would retry it until the deadline.
    await tcpReachable(address);
    await client.connection.ensureConnected();
  } catch (err) {
    await client.connection.close().catch(() => undefined);
    const upPid = mode === 'embedded' ? runningUp(home) : undefined;
    return [fail('temporal', `cannot reach Temporal at ${address} (${firstLine(err)})`, unreachableFix(mode, upPid)), ...skipped('Temporal is unreachable')];
  }
  try {
    const checks: DoctorCheck[] = [ok('temporal', `reachable at ${address}`)];
    try {
      await withDeadline(client, () => client.workflowService.describeNamespace({ namespace }));
      checks.push(ok('namespace', `${namespace} exists`));
    } catch (err) {
      const fix =
        mode === 'central'
          ? 'run `skillopt setup` here (it creates the namespace and registers the search attributes), or set TEMPORAL_NAMESPACE to the team\'s namespace'
          : 'set TEMPORAL_NAMESPACE to the team\'s namespace, or create it (`temporal operator namespace create`)';
      checks.push(fail('namespace', `${namespace} is not there (${firstLine(err)})`, fix));
      return [...checks, ...skipped(`no namespace ${namespace}`).slice(1)];
    }
    checks.push(await searchAttributesCheck(client, namespace, mode));
    const now = Date.now();
    const queue = ctx.env.SKILLOPT_TASK_QUEUE?.trim() || TASK_QUEUE;
    try {
      const [workflow, activity] = await Promise.all([
        pollers(client, namespace, queue, TASK_QUEUE_TYPE_WORKFLOW, now),
        pollers(client, namespace, queue, TASK_QUEUE_TYPE_ACTIVITY, now),
      ]);
      const seen = `${pollerWords(workflow.count, 'workflow')}, ${pollerWords(activity.count, 'activity')} on "${queue}"`;
      if (workflow.count > 0 && activity.count > 0) checks.push(ok('shared-queue', seen));
      else {
        const fix =
          mode === 'embedded'
            ? 'start `skillopt up` (or `npm start` in the checkout): its worker serves every queue'
            : 'start the central worker (`docker compose up -d`, or `node dist/worker.mjs` with SKILLOPT_DATABASE_URL)';
        checks.push(fail('shared-queue', `no worker polling: ${seen}`, fix));
      }
    } catch (err) {
      checks.push(info('shared-queue', `not checked: DescribeTaskQueue failed (${firstLine(err)})`));
    }
    if (mode === 'teammate') checks.push(await machineQueueCheck(client, namespace, home, ctx.env, now));
    return checks;
  } finally {
    await client.connection.close().catch(() => undefined);
  }
}

/** The worker's own check (team/central-namespace), as a doctor line; a teammate is told who can fix it. */
async function searchAttributesCheck(client: Client, namespace: string, mode: MachineMode): Promise<DoctorCheck> {
  const { searchAttributesProblem } = await import('../team/central-namespace');
  let problem: Awaited<ReturnType<typeof searchAttributesProblem>>;
  try {
    problem = await searchAttributesProblem(client.connection, namespace);
  } catch (err) {
    return info('search-attributes', `not checked: ListSearchAttributes failed (${firstLine(err)})`);
  }
  if (!problem) return ok('search-attributes', `all ${ALL_SEARCH_ATTRIBUTES.length} registered`);
  return fail('search-attributes', problem.detail, mode === 'teammate' ? "ask who runs the team's central part to run `skillopt setup` there" : problem.fix);
}

async function machineQueueCheck(client: Client, namespace: string, home: string, env: NodeJS.ProcessEnv, now: number): Promise<DoctorCheck> {
  let queue: string;
  try {
    queue = machineQueue(home, env);
  } catch (err) {
    return fail('machine-queue', `no id for this machine (${firstLine(err)})`, `make ${home} writable`);
  }
  try {
    const activity = await pollers(client, namespace, queue, TASK_QUEUE_TYPE_ACTIVITY, now);
    return info(
      'machine-queue',
      activity.count > 0
        ? `"${queue}": its worker is polling now (judge and propose for this machine's sessions)`
        : `"${queue}": no worker now; the flusher serves it on demand after a hook event`,
    );
  } catch (err) {
    return info('machine-queue', `"${queue}": not checked (${firstLine(err)})`);
  }
}

// ---- the store (central machine) ----

/** What the worker needs of the store, without migrating it (the worker and `skillopt setup` do). */
async function storeCheck(ctx: CliContext): Promise<DoctorCheck> {
  const { storeStatus } = await import('../store/status');
  try {
    const { location, pending } = await storeStatus(storeLocation(ctx.env, ctx.cwd));
    if (pending.length === 0) return ok('store', `${location}: reachable and migrated`);
    return ok('store', `${location}: reachable; ${pending.length} migration(s) to run (${pending.join(', ')}), which the worker or \`skillopt setup\` runs at start`);
  } catch (err) {
    return fail('store', firstLine(err), 'check SKILLOPT_DATABASE_URL and that the database is up and accepts this user');
  }
}

// ---- the agent CLI and the model ----

async function agentChecks(ctx: CliContext, withModel: boolean): Promise<DoctorCheck[]> {
  const agents = await import('../agents/model-backend');
  let backend: ModelBackend;
  try {
    backend = agents.modelBackendFromEnv(ctx.env);
  } catch (err) {
    return [fail('agent-cli', firstLine(err), `set SKILLOPT_MODEL_BACKEND to ${agents.MODEL_BACKENDS.join(' or ')}`)];
  }
  const checks: DoctorCheck[] = [];
  const cli = agents.backendCli(backend, ctx.env);
  if (cli) {
    const { bin, product, binVar } = cli;
    const result = await execa(bin, ['--version'], {
      env: { ...ctx.env, SKILLOPT_INTERNAL: '1' },
      extendEnv: false,
      timeout: VERSION_TIMEOUT_MS,
      reject: false,
      stdin: 'ignore',
    });
    // pi prints its version on stderr when stdin is not a terminal.
    if (result.exitCode === 0) checks.push(ok('agent-cli', `${bin} ${(result.stdout.trim() || result.stderr.trim()).split('\n')[0] ?? ''}`.trim()));
    else if (result.code === 'ENOENT') {
      return [fail('agent-cli', `\`${bin}\` not found`, `install ${product} or set ${binVar} to its path`)];
    } else {
      const why = result.timedOut ? `no answer in ${VERSION_TIMEOUT_MS / 1000} s` : firstLine(result.stderr || result.shortMessage);
      return [fail('agent-cli', `\`${bin} --version\` failed (${why})`, `check the install, or set ${binVar}`)];
    }
  } else {
    try {
      agents.openAiModelFromEnv(ctx.env);
      checks.push(ok('agent-cli', `openai backend at ${ctx.env.SKILLOPT_OPENAI_BASE_URL?.trim()}`));
    } catch (err) {
      return [fail('agent-cli', firstLine(err), 'set the SKILLOPT_OPENAI_* variables')];
    }
  }
  if (!withModel) return checks;
  try {
    const model = agents.modelFromEnv(ctx.env);
    const started = Date.now();
    const reply = await model({
      role: 'judge',
      system: 'You are a health check. Reply with the single word OK.',
      user: 'Reply with OK.',
      signal: AbortSignal.timeout(MODEL_CALL_TIMEOUT_MS),
    });
    checks.push(ok('model', `the judge model answered in ${((Date.now() - started) / 1000).toFixed(1)} s (${JSON.stringify(reply.trim().slice(0, 20))})`));
  } catch (err) {
    checks.push(fail('model', `the judge model did not answer (${firstLine(err)})`, 'check that the agent CLI is logged in (run `claude` once) or the backend settings'));
  }
  return checks;
}

// ---- local files ----

/** One agent's hooks: undefined when that agent has none installed. */
async function agentHooksCheck(ctx: CliContext, agent: AgentName): Promise<DoctorCheck | undefined> {
  const check = await AGENT_SETUPS[agent].check({ env: ctx.env, home: userHome(ctx.env), cwd: ctx.cwd });
  if (!check) return undefined;
  return check.ok ? ok('hooks', check.detail) : fail('hooks', check.detail, check.fix);
}

async function hooksCheck(ctx: CliContext): Promise<DoctorCheck> {
  const checks = (await Promise.all(AGENT_NAMES.map((agent) => agentHooksCheck(ctx, agent)))).filter((c): c is DoctorCheck => c !== undefined);
  if (checks.length === 0) return fail('hooks', 'not installed', `run \`skillopt hooks install\` (Claude Code) or \`skillopt hooks install --agent <${AGENT_NAMES.join('|')}>\``);
  return checks.find((c) => c.status === 'fail') ?? ok('hooks', checks.map((c) => c.detail).join('; '));
}

async function manifestCheck(ctx: CliContext, home: string): Promise<DoctorCheck> {
  const path = join(home, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ok('manifest', `none yet at ${path} (\`skillopt pull\` writes it)`);
    return fail('manifest', `cannot read ${path} (${firstLine(err)})`, 'make it readable by this user (check its owner and mode)');
  }
  try {
    JSON.parse(text);
  } catch {
    return fail('manifest', `${path} is not valid JSON`, 'move it aside and run `skillopt pull` (it rewrites the manifest)');
  }
  const manifest = parseManifest(text);
  const entries = manifest.entries.length;
  const summary = `${path}: ${entries} installed skill${entries === 1 ? '' : 's'}`;
  const { folders, listedTwice } = pulledSkillFolders(manifest, { home: userHome(ctx.env), cwd: ctx.cwd, env: ctx.env }, existsSync);
  const [twice] = listedTwice;
  if (twice) {
    // Keep the copy the most agents read (the shared folder's): removing it would take the skill from the others.
    const readers = (root: string) => folders.find((f) => f.root === root)?.readBy.length ?? 0;
    const keep = twice.roots.reduce((best, root) => (readers(root) > readers(best) ? root : best));
    const others = twice.roots.filter((root) => root !== keep);
    const more = listedTwice.length > 1 ? ` (and ${listedTwice.length - 1} more)` : '';
    return fail(
      'manifest',
      `${twice.dirName} is installed in ${twice.roots.join(' and ')}, which ${AGENTS[twice.agent].label} both reads: it would list the skill twice${more}`,
      `keep one copy: remove ${others.map((root) => join(root, twice.dirName)).join(', ')} (sessions then pull only into ${keep})`,
    );
  }
  const where = folders.map((f) => `${f.root} (${f.skills}; ${f.readBy.length > 0 ? f.readBy.map((a) => AGENTS[a].label).join(', ') : 'no agent here reads it'})`);
  return ok('manifest', where.length > 0 ? `${summary}: ${where.join('; ')}` : summary);
}

/**
 * This machine's key, by fingerprint. Whether the team registered it is seen
 * without asking the store: a pull pins the key the team has for each signer,
 * this user included once a skill they signed was pulled.
 */
async function signingKeyCheck(ctx: CliContext, home: string): Promise<DoctorCheck> {
  const user = currentUser(ctx.env);
  let key;
  try {
    key = await readSigningKey({ ...ctx.env, SKILLOPT_HOME: home });
  } catch (err) {
    return fail('signing-key', firstLine(err), 'run `skillopt keys init` once the file named is moved away');
  }
  // Pulling needs no key, and the first push or decision creates one: not a failure.
  if (!key) return info('signing-key', 'none yet: created at the first push or decision, or now with `skillopt keys init` (`--adopt ~/.ssh/id_ed25519` to use an SSH key)');
  const mine = keyFingerprint(key.publicKey);
  const pinned = await readPinnedKeys(home).then(
    (pins) => (Object.hasOwn(pins, user) ? pins[user] : undefined),
    () => undefined,
  );
  if (pinned === key.publicKey) return ok('signing-key', `${mine} (${key.source}), registered with the team as ${user}`);
  if (pinned !== undefined) {
    return fail(
      'signing-key',
      `${mine} (${key.source}), but the team has ${keyFingerprint(pinned)} for ${user}: what this machine signs is refused`,
      'sign on the machine that holds that key, or replace it with `skillopt keys rotate` there (or a team admin\'s `skillopt keys replace`)',
    );
  }
  return ok('signing-key', `${mine} (${key.source}); the team registers it under ${user} at the first push or decision`);
}

/** The versions the last pulls (SessionStart's too) refused to install. */
async function pullCheck(home: string): Promise<DoctorCheck> {
  const refusals = await readPullRefusals(home).catch(() => []);
  if (refusals.length === 0) return ok('pull', 'no version refused: everything installed verified with the pinned keys');
  const [first] = refusals as [(typeof refusals)[number]];
  const more = refusals.length > 1 ? ` (and ${refusals.length - 1} more)` : '';
  return fail(
    'pull',
    `refused ${first.ref} v${first.version} at ${first.at}: ${first.why}${more}`,
    'ask its owner to push or approve it signed; the installed version stays until then (`skillopt pull` says why for each)',
  );
}

function outboxCheck(home: string): DoctorCheck {
  const waiting = listOutbox(home).length;
  const dead = listDeadLettered(home).length;
  const flusher = liveFlusherPid(home);
  const deadNote = dead > 0 ? `; ${dead} refused event(s) in ${join(outboxDir(home), DEAD_LETTER_DIR)}` : '';
  const deadFix = dead > 0 ? `look at ${join(outboxDir(home), DEAD_LETTER_DIR)} and ${join(home, 'hooks.log')}, then delete those files` : '';
  if (waiting === 0) {
    if (dead > 0) return fail('outbox', `empty${deadNote}`, deadFix);
    return ok('outbox', 'empty: every hook event was delivered');
  }
  const events = `${waiting} event${waiting === 1 ? '' : 's'} waiting`;
  if (flusher !== undefined) {
    if (dead > 0) return fail('outbox', `${events}, the flusher (pid ${flusher}) is delivering${deadNote}`, deadFix);
    return ok('outbox', `${events}, the flusher (pid ${flusher}) is delivering them`);
  }
  if (outboxStalled(home)) {
    return fail('outbox', `${events}: the last flusher gave up while Temporal was unreachable${deadNote}`, 'make Temporal reachable (see above); the next hook event delivers them');
  }
  return fail(
    'outbox',
    `${events} and no flusher runs${deadNote}`,
    'the next hook event starts one (`skillopt up` drains it too when SKILLOPT_FLUSHER=0); see hooks.log if they stay',
  );
}

/**
 * ---- THE LAST LOCAL JUDGMENTS AND THE DAILY CAP: this line's one place. ----
 * The per-machine counter (SKILLOPT_MAX_MODEL_CALLS_PER_DAY, counted locally
 * across judge and propose) is being written; once it lands, read it here and
 * print the last judgments and "n of max used today".
 */
async function judgmentsCheck(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  try {
    const { day, used, cap } = await modelCallsToday(env);
    if (used >= cap) {
      return fail('judgments', `daily cap reached: ${used} of ${cap} model calls on ${day} (UTC); judgments end not-judged, proposals wait`, 'raise SKILLOPT_MAX_MODEL_CALLS_PER_DAY, or wait for the next UTC day');
    }
    return ok('judgments', `${used} of ${cap} model calls used today (${day}, UTC; SKILLOPT_MAX_MODEL_CALLS_PER_DAY)`);
  } catch (err) {
    return fail('judgments', firstLine(err), 'set SKILLOPT_MAX_MODEL_CALLS_PER_DAY to a whole number of calls per day');
  }
}

// ---- the command ----

export async function runDoctor(ctx: CliContext, options: { model?: boolean } = {}): Promise<DoctorReport> {
  const { mode, why } = machineMode(ctx.env);
  const home = skilloptHome(ctx.env, ctx.cwd);
  const [temporal, store, agent, hooks, manifest, signingKey, pull] = await Promise.all([
    temporalChecks(ctx, mode, home),
    mode === 'central' ? storeCheck(ctx) : undefined,
    agentChecks(ctx, options.model === true),
    hooksCheck(ctx),
    manifestCheck(ctx, home),
    signingKeyCheck(ctx, home),
    pullCheck(home),
  ]);
  const checks = [ok('mode', `${mode} — ${why}`), ...temporal, ...(store ? [store] : []), ...agent, hooks, manifest, signingKey, pull, outboxCheck(home), await judgmentsCheck({ ...ctx.env, SKILLOPT_HOME: home })];
  return { ok: checks.every((c) => c.status !== 'fail'), mode, why, checks };
}

export const registerDoctor: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('doctor')
    .description('check this machine\'s setup: mode, Temporal, workers, the agent CLI, hooks, manifest, signing key, refused pulls and outbox; one line per check with the fix')
    .option('--model', 'also make one tiny tools-less call to the judge model (costs a model call)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { model?: boolean; json?: boolean }) => {
      const report = await runDoctor(ctx, { model: flags.model });
      if (flags.json) ctx.printJson(report);
      else for (const check of report.checks) ctx.print(formatCheck(check));
      ctx.exitCode = report.ok ? 0 : 1;
    });
};
