// What skillopt's OpenCode plugin costs the user, on the real pinned OpenCode
// (`opencode run`, its platform binary) against the scripted Chat Completions
// server (test/fixtures/chat-completions-server.ts) served from this process.
// Two throwaway homes with the same config, provider and skills folder (a skill
// pull's manifest lists), one with the plugin file `skillopt hooks install
// --agent opencode` writes, one without; each round runs every scenario in
// both, which one goes first alternating by round, so machine load hits both
// alike. Scenarios, each one `opencode run` timed spawn to exit:
//   prompt    a new session, one prompt, no tool: session.created, a prompt with no window
//   arm       a new session whose model calls the `skill` tool on the pulled skill: the use arms
//   reaction  the next prompt of the arm session (`--session <id>`, a new process): a resume
//             and a reaction in the open window
// The plugin's processes (flusher, session-start pull) are not started
// (SKILLOPT_FLUSHER=0, SKILLOPT_AUTOPULL=0, SKILLOPT_ATTRIBUTION=0): only what
// runs inside OpenCode is measured. Returns the medians (ms) with, without, and
// their difference per scenario; OpenCode's own start-up (several seconds on a
// busy machine) dominates both, so a difference within the run-to-run spread
// means "not measurable" that way. So a third home runs the same scenarios with
// a probe plugin that loads the same bundle and times each of its hooks inside
// OpenCode (performance.now around each call, `event` counted only for
// session.created, the one it acts on): `inProcess` is the median per run of
// their sum, the plugin's own cost, which the with/without difference bounds
// from outside.
//
// Run alone: `npm run build && npx tsx bench/agent-hooks-opencode.ts` (BENCH_OPENCODE_ROUNDS, default 5).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openCodeSetup } from '../agents/opencode/setup';
import { listOutbox } from '../local/outbox/files';
import { MANIFEST_FILE, emptyManifest, serializeManifest, upsertEntry } from '../core/manifest';
import { chatMatch, openCodeBin, startChatCompletionsServer, writeOpenCodeHome, type OpenCodeHome } from '../test/fixtures/chat-completions-server';
import { median } from './loop';

const SKILL = 'deploy-checklist--alice';
export type OpenCodeScenario = 'prompt' | 'arm' | 'reaction';
export const OPENCODE_SCENARIOS: readonly OpenCodeScenario[] = ['prompt', 'arm', 'reaction'];

export interface OpenCodeHookBench {
  agent: 'opencode';
  rounds: number;
  /** Per scenario: median wall time (ms) of an `opencode run` with the plugin, without, and with − without. */
  medians: Record<OpenCodeScenario, { with: number; without: number; overhead: number }>;
  /** Per scenario: the median (ms) per run of the time spent in the plugin's hooks, measured inside OpenCode. */
  inProcess: Record<OpenCodeScenario, number>;
  /** Events the plugin spooled on the with side (an arm and a reaction per round): it ran. */
  spooled: number;
  /** Every sample (ms), for the spread. */
  samples: Record<OpenCodeScenario, { with: number[]; without: number[] }>;
}


interface Side {
  oc: OpenCodeHome;
  env: Record<string, string>;
  cwd: string;
}

/** One `opencode run`, prompt on stdin: its wall time and session id. */
function runOpenCode(side: Side, prompt: string, session?: string): Promise<{ ms: number; session: string }> {
  const args = ['run', '--format', 'json', '--title', 'bench', ...(session ? ['--session', session] : [])];
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(openCodeBin(), args, { cwd: side.cwd, env: side.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const id = /"sessionID":"([^"]+)"/.exec(out)?.[1];
      if (code !== 0 || !id) fail(new Error(`opencode run exited ${code}: ${err.trim().split('\n').at(-1) ?? ''}`));
      else done({ ms, session: id });
    });
    child.stdin.end(prompt);
  });
}

function makeSide(root: string, name: string, url: string): Side {
  const oc = writeOpenCodeHome(join(root, name), { url });
  const cwd = join(root, name, 'project');
  mkdirSync(cwd, { recursive: true });
  const skillsRoot = join(oc.configDir, 'skills');
  mkdirSync(join(skillsRoot, SKILL), { recursive: true });
  writeFileSync(join(skillsRoot, SKILL, 'SKILL.md'), `---\nname: ${SKILL}\ndescription: Use when deploying the service\n---\n# Deploy\n\n1. Run the tests.\n`);
  const skilloptHome = join(oc.userHome, '.skillopt');
  mkdirSync(skilloptHome, { recursive: true });
  // As pull leaves it: the folder is an org skill's, so its use arms.
  const manifest = upsertEntry(emptyManifest(), { dirName: SKILL, name: 'deploy-checklist', author: 'alice', version: 1, scope: 'user', root: skillsRoot, pulledAt: new Date().toISOString() });
  writeFileSync(join(skilloptHome, MANIFEST_FILE), serializeManifest(manifest));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...oc.env,
    SKILLOPT_HOME: skilloptHome,
    SKILLOPT_USER: 'alice',
    SKILLOPT_FLUSHER: '0',
    SKILLOPT_AUTOPULL: '0',
    SKILLOPT_ATTRIBUTION: '0',
    SKILLOPT_JUDGE_WINDOW: '1000',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
  };
  return { oc, env, cwd };
}

/** A plugin that loads skillopt's bundle and appends each hook call's duration (and the run's scenario) to `out`. */
function probeSource(bundle: string, node: string, out: string): string {
  return [
    "import { appendFileSync } from 'node:fs';",
    `const BUNDLE = ${JSON.stringify(bundle)}, NODE = ${JSON.stringify(node)}, OUT = ${JSON.stringify(out)};`,
    'export default async function probe(input) {',
    '  const { default: plugin } = await import(BUNDLE);',
    '  const hooks = await plugin(input, { node: NODE });',
    '  const timed = {};',
    '  for (const [name, fn] of Object.entries(hooks)) {',
    '    timed[name] = async (...args) => {',
    '      const started = performance.now();',
    '      try { return await fn(...args); } finally {',
    '        const ms = performance.now() - started;',
    "        const hook = name === 'event' ? args[0]?.event?.type : name;",
    "        if (name !== 'event' || hook === 'session.created') appendFileSync(OUT, JSON.stringify({ scenario: process.env.BENCH_SCENARIO, hook, ms }) + '\\n');",
    '      }',
    '    };',
    '  }',
    '  return timed;',
    '}',
    '',
  ].join('\n');
}

export async function benchOpenCodeHooks(options: { rounds?: number; log?: (line: string) => void } = {}): Promise<OpenCodeHookBench> {
  const rounds = options.rounds ?? Number(process.env.BENCH_OPENCODE_ROUNDS ?? 5);
  const log = options.log ?? (() => undefined);
  const server = await startChatCompletionsServer({
    rules: [
      { name: 'arm', match: chatMatch.all(chatMatch.prompt('deploy the service'), chatMatch.noToolResult), reply: { toolCall: { name: 'skill', arguments: { name: SKILL } } } },
      { name: 'after-tool', match: chatMatch.toolResult, reply: { text: 'Deployed.' } },
      { name: 'reaction', match: chatMatch.prompt('you skipped the tests'), reply: { text: 'Sorry.' } },
      { name: 'hello', match: chatMatch.prompt('hello'), reply: { text: 'Hi.' } },
    ],
  });
  const root = mkdtempSync(join(tmpdir(), 'skillopt-bench-opencode-'));
  try {
    const sides = { with: makeSide(root, 'with', server.url), without: makeSide(root, 'without', server.url), probe: makeSide(root, 'probe', server.url) };
    const probeOut = join(root, 'probe.jsonl');
    mkdirSync(join(sides.probe.oc.configDir, 'plugins'), { recursive: true });
    writeFileSync(join(sides.probe.oc.configDir, 'plugins', 'probe.js'), probeSource(resolve('dist/opencode-plugin.mjs'), process.execPath, probeOut));
    await openCodeSetup.install({ env: sides.with.oc.env, scope: 'user', home: sides.with.oc.userHome, cwd: sides.with.cwd, entry: [process.execPath, resolve('dist/hook.cjs')] });
    const samples = Object.fromEntries(OPENCODE_SCENARIOS.map((s) => [s, { with: [] as number[], without: [] as number[] }])) as OpenCodeHookBench['samples'];
    // Round 0 warms both (file caches, OpenCode's first database migration) and is not counted.
    for (let round = 0; round <= rounds; round += 1) {
      const order: ('with' | 'without' | 'probe')[] = round % 2 === 0 ? ['with', 'without', 'probe'] : ['without', 'with', 'probe'];
      for (const name of order) {
        const side = sides[name];
        const prompt = await runOpenCode({ ...side, env: { ...side.env, BENCH_SCENARIO: `${round}:prompt` } }, 'hello');
        const arm = await runOpenCode({ ...side, env: { ...side.env, BENCH_SCENARIO: `${round}:arm` } }, 'deploy the service');
        const reaction = await runOpenCode({ ...side, env: { ...side.env, BENCH_SCENARIO: `${round}:reaction` } }, 'that was wrong, you skipped the tests', arm.session);
        if (round === 0 || name === 'probe') continue;
        samples.prompt[name].push(prompt.ms);
        samples.arm[name].push(arm.ms);
        samples.reaction[name].push(reaction.ms);
        log(`round ${round} ${name}: prompt ${prompt.ms.toFixed(0)} ms, arm ${arm.ms.toFixed(0)} ms, reaction ${reaction.ms.toFixed(0)} ms`);
      }
    }
    // The plugin did its work: every arm and reaction of the with side is in its outbox (no flusher took them).
    const spooled = listOutbox(sides.with.env.SKILLOPT_HOME!).length;
    if (spooled < 2 * (rounds + 1)) throw new Error(`the plugin spooled ${spooled} events for ${rounds + 1} rounds of arm + reaction: it did not run`);
    const medians = Object.fromEntries(
      OPENCODE_SCENARIOS.map((s) => {
        const w = median(samples[s].with);
        const wo = median(samples[s].without);
        return [s, { with: Math.round(w), without: Math.round(wo), overhead: Math.round(w - wo) }];
      }),
    ) as OpenCodeHookBench['medians'];
    const perRun = new Map<string, number>();
    for (const line of readFileSync(probeOut, 'utf8').split('\n').filter(Boolean)) {
      const { scenario, ms } = JSON.parse(line) as { scenario: string; ms: number };
      if (!scenario.startsWith('0:')) perRun.set(scenario, (perRun.get(scenario) ?? 0) + ms);
    }
    const inProcess = Object.fromEntries(
      OPENCODE_SCENARIOS.map((s) => [s, Number(median([...perRun].filter(([k]) => k.endsWith(`:${s}`)).map(([, ms]) => ms)).toFixed(2))]),
    ) as OpenCodeHookBench['inProcess'];
    return { agent: 'opencode', rounds, medians, inProcess, spooled, samples };
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchOpenCodeHooks({ log: (line) => console.error(line) });
  console.log(JSON.stringify({ agent: result.agent, rounds: result.rounds, medians: result.medians, inProcess: result.inProcess }, null, 2));
}
