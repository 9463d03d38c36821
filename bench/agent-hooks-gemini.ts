// What skillopt's Gemini CLI hooks cost a Gemini session: the real pinned
// `gemini -p` (stdin closed) against the scripted Gemini API
// (test/fixtures/gemini-server.ts) served from this process, in two throwaway
// homes alike but for the hooks `skillopt hooks install --agent gemini` writes
// (both have the pulled skill and the policy that lets headless Gemini use it),
// alternated run by run (who goes first alternates by scenario and round),
// warm-up rounds discarded. Gemini waits for every hook, each a Node process,
// so the cost lands on the session's critical path:
//
//   promptNoWindow  `gemini -p hello`: spawn to the first model request, with −
//                   without (SessionStart, then BeforeAgent with no window open).
//   skillUseArms    one prompt whose model calls activate_skill N times, a different pulled skill each time (each
//                   AfterTool hook arms a window): the median gap between a
//                   request that asked for the call and the next one (the
//                   call's result), with − without.
//   reaction        `gemini -r <that session> -p …`: spawn to the first model
//                   request, with − without (SessionStart resume, then BeforeAgent
//                   spooling a reaction to the open window).
//   helloRunWall    the whole `gemini -p hello` run, with − without (SessionEnd included).
//
// Medians over rounds (ms). SKILLOPT_FLUSHER=0, SKILLOPT_AUTOPULL=0 and
// SKILLOPT_ATTRIBUTION=0: the detached processes the hooks would start are not
// started (Gemini does not wait for them anyway: no stdio), so only the hooks
// are measured; TEMPORAL_ADDRESS points at a closed port. Called from
// bench/hooks.ts, or alone: `npx tsx bench/agent-hooks-gemini.ts` (after
// `npm run build`) prints the result as JSON. Knobs: BENCH_GEMINI_ROUNDS (5),
// BENCH_GEMINI_WARMUP (1), BENCH_GEMINI_CALLS (10).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { geminiPolicy, GEMINI_POLICY_FILE } from '../agents/gemini/setup';
import { listOutbox } from '../local/outbox/files';
import { match, SCRIPTED_MODEL, startGeminiServer, writeGeminiHome, type GeminiReply, type GeminiRequest } from '../test/fixtures/gemini-server';
import { median } from './loop';

const ROOT = resolve(import.meta.dirname, '..');
const GEMINI_BIN = join(ROOT, 'node_modules', '.bin', 'gemini');
const HELLO = 'bench: hello';
const DEPLOY = 'bench: follow the deploy checklist';
const REACT = 'bench: that was wrong, you skipped the tests';

type Arm = 'with' | 'without';
type Scenario = 'hello' | 'skill' | 'react';
const SCENARIOS: Scenario[] = ['hello', 'skill', 'react'];

interface GeminiRun {
  wallMs: number;
  firstRequestMs: number;
  gapsMs: number[];
  sessionId: string;
}

export interface GeminiHooksBenchOptions {
  rounds?: number;
  warmup?: number;
  /** activate_skill calls in the skill scenario's one prompt. */
  calls?: number;
  log?: (line: string) => void;
}

export interface GeminiHooksBench {
  gemini: string;
  method: string;
  rounds: number;
  warmupRounds: number;
  calls: number;
  load1PerRound: number[];
  /** Medians over rounds, ms: what skillopt's hooks add (with − without). */
  overheadMs: { promptNoWindow: number; skillUseArms: number; reaction: number; helloRunWall: number };
  /** The per-round differences behind each median: how much a ~3 s Gemini start-up varies on this machine. */
  overheadRangeMs: Record<'promptNoWindow' | 'skillUseArms' | 'reaction' | 'helloRunWall', { min: number; max: number }>;
  /** Medians over rounds, ms, each arm. */
  withMs: { helloFirstRequest: number; skillUseGap: number; reactionFirstRequest: number; helloRunWall: number };
  withoutMs: { helloFirstRequest: number; skillUseGap: number; reactionFirstRequest: number; helloRunWall: number };
  /** The hooks did their work in the "with" home: outbox events spooled, nothing in hooks.log. */
  hookWork: { outboxEvents: number; hooksLogBytes: number };
}

const tenth = (x: number) => Math.round(x * 10) / 10;

function geminiVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', '@google', 'gemini-cli', 'package.json'), 'utf8')) as { version: string }).version;
}

export async function benchGeminiHooks(options: GeminiHooksBenchOptions = {}): Promise<GeminiHooksBench> {
  const rounds = options.rounds ?? Number(process.env.BENCH_GEMINI_ROUNDS ?? 5);
  const warmup = options.warmup ?? Number(process.env.BENCH_GEMINI_WARMUP ?? 1);
  const calls = options.calls ?? Number(process.env.BENCH_GEMINI_CALLS ?? 10);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // One pulled skill per call: Gemini's loop detection interrupts a session that repeats a tool call with the same arguments 5 times.
  const skillNames = Array.from({ length: calls }, (_, k) => `step-${k + 1}--alice`);
  if (!existsSync(join(ROOT, 'dist', 'hook.cjs'))) throw new Error('dist/hook.cjs is missing: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'skillopt-bench-gemini-'));

  // The scripted model: N activate_skill calls then "Done." for the deploy prompt, "Ok." for anything else; every request stamped.
  let stamps: number[] = [];
  const stamped = (reply: (req: GeminiRequest) => GeminiReply) => (req: GeminiRequest) => {
    stamps.push(performance.now());
    return reply(req);
  };
  const server = await startGeminiServer({
    rules: [
      {
        name: 'skill-calls',
        // Every request of the deploy prompt's turn: the prompt, then each call's result.
        match: (req) => req.contents.some((c) => c.role === 'user' && (c.parts ?? []).some((p) => p.text?.trim() === DEPLOY)) && (req.lastHasToolResult || match.prompt(DEPLOY)(req)),
        reply: stamped((req) => (req.functionCalls.length < calls ? { functionCall: { name: 'activate_skill', args: { name: skillNames[req.functionCalls.length]! } } } : { text: 'Done.' })),
      },
      { name: 'text', match: match.always, reply: stamped(() => ({ text: 'Ok.' })) },
    ],
  });

  const project = join(dir, 'project');
  mkdirSync(project, { recursive: true });
  const arm = (name: Arm) => {
    const home = writeGeminiHome(join(dir, name), { url: server.url });
    const skills = join(home.geminiDir, 'skills');
    for (const skill of skillNames) {
      mkdirSync(join(skills, skill), { recursive: true });
      writeFileSync(join(skills, skill, 'SKILL.md'), `---\nname: ${skill}\ndescription: Checklist for ${skill.split('--')[0]}. Use when asked to deploy.\n---\n\n# Steps\n\n1. Run the tests.\n2. Go on.\n`);
    }
    // Both homes can use skills headless: only the hooks differ.
    mkdirSync(join(home.geminiDir, 'policies'), { recursive: true });
    writeFileSync(join(home.geminiDir, 'policies', GEMINI_POLICY_FILE), geminiPolicy());
    const skilloptHome = join(dir, name, 'skillopt-home');
    mkdirSync(skilloptHome, { recursive: true });
    writeFileSync(
      join(skilloptHome, 'manifest.json'),
      JSON.stringify({ version: 1, entries: skillNames.map((dirName) => ({ dirName, name: dirName.split('--')[0], author: 'alice', version: 1, scope: 'user', root: skills, pulledAt: new Date().toISOString() })) }),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...home.env,
      SKILLOPT_HOME: skilloptHome,
      SKILLOPT_USER: 'alice',
      SKILLOPT_FLUSHER: '0',
      SKILLOPT_AUTOPULL: '0',
      SKILLOPT_ATTRIBUTION: '0',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      TEMPORAL_NAMESPACE: 'default',
    };
    return { home, skilloptHome, env };
  };
  const arms = { with: arm('with'), without: arm('without') };
  const install = spawnSync(process.execPath, [join(ROOT, 'bin', 'skillopt.js'), 'hooks', 'install', '--agent', 'gemini'], { cwd: project, env: arms.with.env, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`hooks install --agent gemini failed: ${install.stdout}${install.stderr}`);

  const runGemini = (a: Arm, args: string[]): Promise<GeminiRun> =>
    new Promise((ok, fail) => {
      stamps = [];
      const started = performance.now();
      const child = spawn(GEMINI_BIN, ['-m', SCRIPTED_MODEL, ...args, '-o', 'json'], { cwd: project, env: arms[a].env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', fail);
      child.on('close', (code) => {
        const wallMs = performance.now() - started;
        if (code !== 0 || stamps.length === 0) return fail(new Error(`gemini ${args.join(' ')} (${a}): exit ${String(code)}, ${stamps.length} model requests\n${stderr.slice(0, 2000)}`));
        const gapsMs = stamps.slice(1).map((t, i) => t - stamps[i]!);
        ok({ wallMs, firstRequestMs: stamps[0]! - started, gapsMs, sessionId: (JSON.parse(stdout) as { session_id: string }).session_id });
      });
    });

  const samples: Record<Scenario, Record<Arm, GeminiRun>>[] = [];
  const load1PerRound: number[] = [];
  try {
    for (let r = 0; r < warmup + rounds; r++) {
      const round = { hello: {}, skill: {}, react: {} } as Record<Scenario, Record<Arm, GeminiRun>>;
      for (const [s, scenario] of SCENARIOS.entries()) {
        const order: Arm[] = (r + s) % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
        for (const a of order) {
          round[scenario][a] =
            scenario === 'hello'
              ? await runGemini(a, ['-p', HELLO])
              : scenario === 'skill'
                ? await runGemini(a, ['-p', DEPLOY])
                : await runGemini(a, ['-r', round.skill[a].sessionId, '-p', REACT]);
        }
      }
      if (round.skill.with.gapsMs.length !== calls || round.skill.without.gapsMs.length !== calls) throw new Error(`the skill scenario made ${round.skill.with.gapsMs.length} calls, expected ${calls}`);
      if (r >= warmup) {
        samples.push(round);
        load1PerRound.push(loadavg()[0]!);
      }
      log(`gemini round ${r + 1}/${warmup + rounds}${r < warmup ? ' (warm-up)' : ''}`);
    }
  } finally {
    await server.close();
  }

  const logPath = join(arms.with.skilloptHome, 'hooks.log');
  const hookWork = { outboxEvents: listOutbox(arms.with.skilloptHome).length, hooksLogBytes: existsSync(logPath) ? readFileSync(logPath, 'utf8').length : 0 };
  // Per round: N invoked + (N − 1) superseded + 1 sessionEnded (the skill session), 1 reaction + 1 sessionEnded (its resume).
  const expected = (warmup + rounds) * (2 * calls + 2);
  if (hookWork.outboxEvents !== expected || hookWork.hooksLogBytes !== 0) {
    throw new Error(`the hooks did not do what they should: ${hookWork.outboxEvents} outbox events (expected ${expected}); hooks.log: ${existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(0, 2000) : ''}`);
  }
  if (existsSync(join(arms.without.skilloptHome, 'outbox'))) throw new Error('the "without" home spooled events');
  rmSync(dir, { recursive: true, force: true });

  const per = (a: Arm) => ({
    helloFirstRequest: tenth(median(samples.map((rd) => rd.hello[a].firstRequestMs))),
    skillUseGap: tenth(median(samples.map((rd) => median(rd.skill[a].gapsMs)))),
    reactionFirstRequest: tenth(median(samples.map((rd) => rd.react[a].firstRequestMs))),
    helloRunWall: tenth(median(samples.map((rd) => rd.hello[a].wallMs))),
  });
  type Of = (rd: Record<Scenario, Record<Arm, GeminiRun>>, a: Arm) => number;
  const diffs = (f: Of) => samples.map((rd) => f(rd, 'with') - f(rd, 'without'));
  const diff = (f: Of) => tenth(median(diffs(f)));
  const range = (f: Of) => ({ min: tenth(Math.min(...diffs(f))), max: tenth(Math.max(...diffs(f))) });
  const of: Record<keyof GeminiHooksBench['overheadMs'], Of> = {
    promptNoWindow: (rd, a) => rd.hello[a].firstRequestMs,
    skillUseArms: (rd, a) => median(rd.skill[a].gapsMs),
    reaction: (rd, a) => rd.react[a].firstRequestMs,
    helloRunWall: (rd, a) => rd.hello[a].wallMs,
  };
  return {
    gemini: geminiVersion(),
    method:
      'real Gemini CLI (`gemini -p`, stdin closed) against the scripted Gemini API on loopback in this process; two homes alike but for skillopt\'s hooks (installed by `skillopt hooks install --agent gemini`), alternated run by run, warm-up rounds discarded. promptNoWindow: spawn to first model request of `gemini -p hello`, with − without; skillUseArms: median gap between consecutive model requests while the model calls activate_skill N times in one prompt, with − without; reaction: spawn to first model request of `gemini -r <that session> -p …`, with − without; helloRunWall: the whole hello run, with − without. Medians over rounds.',
    rounds,
    warmupRounds: warmup,
    calls,
    load1PerRound,
    overheadMs: { promptNoWindow: diff(of.promptNoWindow), skillUseArms: diff(of.skillUseArms), reaction: diff(of.reaction), helloRunWall: diff(of.helloRunWall) },
    overheadRangeMs: { promptNoWindow: range(of.promptNoWindow), skillUseArms: range(of.skillUseArms), reaction: range(of.reaction), helloRunWall: range(of.helloRunWall) },
    withMs: per('with'),
    withoutMs: per('without'),
    hookWork,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  benchGeminiHooks()
    .then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
