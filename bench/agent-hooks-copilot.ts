// What skillopt's Copilot CLI hooks cost a Copilot session: the real pinned
// `copilot -p` against the scripted Responses API (test/fixtures/responses-server.ts)
// on loopback, in two throwaway homes alike in everything (the same pulled skill,
// in ~/.copilot/skills and skillopt's manifest) but one: the hooks file
// `skillopt hooks install --agent copilot` writes. Copilot waits for every hook
// (docs/copilot-cli.md §2), so each hook's cost is on the session's path. It is
// read from Copilot's own session log (ms timestamps), which leaves out the
// second or so the binary takes to start (and its noise), and from the model server:
//   prompt    `copilot -p hello`, a new session: the log's `session.start` → its first
//             `assistant.turn_start` (sessionStart and userPromptSubmitted with no window open;
//             the turn waits for both)
//   arm       `copilot -p "deploy the service"`: the reply calls the `skill` tool on the pulled
//             skill; the server's first request → second (the tool, then postToolUse, which arms a window)
//   reaction  the same session resumed with a pushback: `session.resume` → the next
//             `assistant.turn_start` (sessionStart of a resume, and userPromptSubmitted sending a reaction)
// Each round runs the three in each home, the home that goes first alternating by
// round, so load hits both alike. Reported: the medians (ms) with and without, and
// the median of the per-round differences. SKILLOPT_FLUSHER=0, SKILLOPT_AUTOPULL=0
// and SKILLOPT_ATTRIBUTION=0: the detached processes a hook would start (flusher,
// session-start pull) are not started, so the hooks' own work is measured;
// TEMPORAL_ADDRESS names a closed port. Called from bench/hooks.ts, or alone:
// `npx tsx bench/agent-hooks-copilot.ts [rounds]` after `npm run build`.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { copilotSetup } from '../agents/copilot/setup';
import { emptyManifest, MANIFEST_FILE, serializeManifest, upsertEntry } from '../core/manifest';
import { startResponsesServer, type ResponsesRequest } from '../test/fixtures/responses-server';
import { median } from './loop';

const ROOT = join(import.meta.dirname, '..');
const COPILOT_BIN = join(ROOT, 'node_modules', '.bin', 'copilot');
const HOOK_ENTRY = join(ROOT, 'dist', 'hook.cjs');
/** One unpacked Copilot package for every run (it unpacks 235 MB on a first start). */
const COPILOT_CACHE = join(tmpdir(), 'skillopt-copilot-cache');
const SKILL = 'deploy-checklist--alice';
const SCENARIOS = ['prompt', 'arm', 'reaction'] as const;
type Scenario = (typeof SCENARIOS)[number];

export interface CopilotHookBenchOptions {
  /** Rounds measured (each: three runs in each home). Default 8. */
  rounds?: number;
  /** Rounds run first and discarded. Default 1. */
  warmup?: number;
}

export interface ScenarioResult {
  /** Median ms with skillopt's hooks. */
  withHooks: number;
  /** Median ms in the home with none. */
  without: number;
  /** Median of the per-round differences (with − without), ms. */
  overhead: number;
}

export interface CopilotHookBench {
  agent: 'copilot';
  version: string;
  rounds: number;
  scenarios: Record<Scenario, ScenarioResult>;
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

/** The arrival times of the model requests of one run. */
let arrivals: number[] = [];
const typed = (text: string) => (req: ResponsesRequest) => req.lastUserText.endsWith(`\n\n${text}`);

/** ms from the session log's last `session.start`/`session.resume` to the `assistant.turn_start` after it. */
function startToTurn(home: string, sessionId: string): number {
  const records = readFileSync(join(home, '.copilot', 'session-state', sessionId, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; timestamp: string });
  const start = records.findLastIndex((r) => r.type === 'session.start' || r.type === 'session.resume');
  const turn = records.findIndex((r, i) => i > start && r.type === 'assistant.turn_start');
  if (start < 0 || turn < 0) throw new Error(`no session start and turn in ${sessionId}'s log`);
  return Date.parse(records[turn]!.timestamp) - Date.parse(records[start]!.timestamp);
}

export async function benchCopilotHooks(options: CopilotHookBenchOptions = {}): Promise<CopilotHookBench> {
  const rounds = options.rounds ?? 8;
  const warmup = options.warmup ?? 1;
  const server = await startResponsesServer({
    rules: [
      { name: 'use-skill', match: typed('deploy the service'), reply: () => (arrivals.push(performance.now()), { functionCall: { name: 'skill', arguments: { skill: SKILL } } }) },
      { name: 'any', match: () => true, reply: () => (arrivals.push(performance.now()), { text: 'ok' }) },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'skillopt-bench-copilot-'));
  try {
    const homes = { withHooks: join(dir, 'with'), without: join(dir, 'without') };
    for (const [name, home] of Object.entries(homes)) {
      const root = join(home, '.copilot', 'skills');
      mkdirSync(join(root, SKILL), { recursive: true });
      writeFileSync(join(root, SKILL, 'SKILL.md'), `---\nname: ${SKILL}\ndescription: Use when deploying services\nversion: 1\n---\n# Deploy\n\n1. Run the tests.\n`);
      mkdirSync(join(home, '.skillopt'), { recursive: true });
      const manifest = upsertEntry(emptyManifest(), { dirName: SKILL, name: 'deploy-checklist', author: 'alice', version: 1, scope: 'user', root, pulledAt: new Date().toISOString() });
      writeFileSync(join(home, '.skillopt', MANIFEST_FILE), serializeManifest(manifest));
      mkdirSync(join(home, 'project'), { recursive: true });
      if (name === 'withHooks') await copilotSetup.install({ env: { HOME: home }, scope: 'user', home, cwd: join(home, 'project'), entry: ['node', HOOK_ENTRY] });
    }
    const envOf = (home: string): Record<string, string> => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      COPILOT_CACHE_HOME: COPILOT_CACHE,
      COPILOT_OFFLINE: 'true',
      COPILOT_AUTO_UPDATE: 'false',
      COPILOT_PROVIDER_BASE_URL: server.url,
      COPILOT_PROVIDER_WIRE_API: 'responses',
      COPILOT_MODEL: 'scripted',
      SKILLOPT_USER: 'alice',
      SKILLOPT_FLUSHER: '0',
      SKILLOPT_AUTOPULL: '0',
      SKILLOPT_ATTRIBUTION: '0',
      TEMPORAL_ADDRESS: '127.0.0.1:9',
    });
    /** One `copilot -p` run: when each model request arrived. */
    const run = async (home: string, prompt: string, sessionId: string): Promise<{ requests: number[] }> => {
      arrivals = [];
      const result = await execa(COPILOT_BIN, ['-p', prompt, '-s', '--session-id', sessionId], { cwd: join(home, 'project'), env: envOf(home), extendEnv: false, stdin: 'ignore', timeout: 90_000, reject: false });
      if (result.exitCode !== 0) throw new Error(`copilot -p exit ${result.exitCode}: ${result.stderr.split('\n')[0]}`);
      return { requests: arrivals };
    };
    const samples: Record<Scenario, { withHooks: number[]; without: number[] }> = { prompt: { withHooks: [], without: [] }, arm: { withHooks: [], without: [] }, reaction: { withHooks: [], without: [] } };
    const version = (await execa(COPILOT_BIN, ['--version'], { env: envOf(homes.without), extendEnv: false, reject: false })).stdout.split('\n')[0] ?? '';
    for (let i = 0; i < warmup + rounds; i++) {
      const order = i % 2 === 0 ? (['withHooks', 'without'] as const) : (['without', 'withHooks'] as const);
      for (const variant of order) {
        const home = homes[variant];
        const helloSession = randomUUID();
        await run(home, 'hello', helloSession);
        const session = randomUUID();
        const deploy = await run(home, 'deploy the service', session);
        await run(home, 'that was wrong, you skipped the tests', session);
        if (i < warmup) continue;
        if (deploy.requests.length < 2) throw new Error('the skill call was not answered');
        samples.prompt[variant].push(startToTurn(home, helloSession));
        samples.arm[variant].push(deploy.requests[1]! - deploy.requests[0]!);
        samples.reaction[variant].push(startToTurn(home, session));
      }
    }
    const scenarios = Object.fromEntries(
      SCENARIOS.map((s) => {
        const { withHooks, without } = samples[s];
        return [s, { withHooks: round1(median(withHooks)), without: round1(median(without)), overhead: round1(median(withHooks.map((w, k) => w - without[k]!))) }];
      }),
    ) as Record<Scenario, ScenarioResult>;
    return { agent: 'copilot', version, rounds, scenarios };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rounds = Number(process.argv[2] ?? 8);
  benchCopilotHooks({ rounds }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
