// Enter → answer in the interactive Claude Code (the pinned CLI, in tmux,
// test/e2e/tui.ts) against the scripted model server on loopback, with
// skillopt's hooks as this version installs them ("on"), without the gate in
// front of the async hooks ("ungated": the previous version), as the release
// before the async hooks installed them (shell form, waited for: "before")
// and without any ("off"); BENCH_TUI_MODES picks others (MODE_DESCRIPTIONS).
// Per session, three prompts: the first prompt of the session, a
// prompt the model answers by calling the pulled skill (PreToolUse arms, the
// flusher starts), and a reaction while that window is open. Sessions
// alternate between the modes (rotating the order each round), so the
// machine's load falls on all alike; the load is recorded per round. The stack is the end-to-end
// tests': a Temporal dev server, the skillopt worker on a SQLite store (its
// judge and proposer an instant script: no `claude -p` competes for the CPU),
// the skill pushed and pulled as a user would.
//   npm run bench:tui [-- rounds]   → bench/results/tui.json (BENCH_TUI_OUT names another file)
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ModelCall } from '../agents/types';
import { DEFAULT_CANARY_SETTINGS } from '../core/rollout-rules';
import { agentTranscriptRoots } from '../agents/registry';
import { match, startAnthropicServer, type MessagesRequest } from '../test/fixtures/anthropic-server';
import { BODY, SKILL } from '../test/e2e/deploy-skill';
import { REPO, SKILLOPT_BIN, baseEnv, startLoopStack, stopLoopStack, userEnvOn } from '../test/e2e/helpers';
import { Tui, acceptFirstRun } from '../test/e2e/tui';
import { HOOK_GATE_NAME } from '../agents/claude/hook-gate';

const ROUNDS = Number(process.argv[2] ?? process.env.BENCH_TUI_ROUNDS ?? 5);
/** Every mode this benchmark knows; a run measures DEFAULT_MODES, or those BENCH_TUI_MODES lists (comma-separated). */
const ALL_MODES = ['on', 'normal', 'before', 'off', 'ungated', 'true', 'true-async', 'sleep', 'node', 'spool', 'on-async'] as const;
type Mode = (typeof ALL_MODES)[number];
const DEFAULT_MODES: readonly Mode[] = ['on', 'ungated', 'before', 'off'];
const MODES: readonly Mode[] = process.env.BENCH_TUI_MODES
  ? process.env.BENCH_TUI_MODES.split(',').map((m) => {
      if (!(ALL_MODES as readonly string[]).includes(m.trim())) throw new Error(`unknown mode ${m}; known: ${ALL_MODES.join(', ')}`);
      return m.trim() as Mode;
    })
  : DEFAULT_MODES;
/** What each mode measures (`true`, `node`: Claude Code's own cost of hooks, and that of a Node process per hook). */
const MODE_DESCRIPTIONS: Record<Mode, string> = {
  on: "this version's hooks as `hooks install` writes them",
  normal: 'the same, what they start at normal priority',
  before: "the release before the async hooks (shell form, every hook waited for)",
  ungated: 'the async hooks without the gate (agents/claude/hook-gate.ts): Node started for every prompt and skill call',
  off: 'no hooks',
  true: 'every hook /bin/true, with the same settings (exec form, asyncRewake, matchers)',
  'true-async': 'every hook /bin/true, `async` instead of `asyncRewake`',
  sleep: 'every hook reads its payload and sleeps 0.3 s (no CPU; it ends while the answer renders), with the same settings',
  node: 'every hook `node -e 0`, with the same settings',
  spool: "this version's hooks, spooling only (SKILLOPT_FLUSHER=0: no flusher)",
  'on-async': "this version's hooks, `async` instead of `asyncRewake`",
};
type HookRewrite = (hook: Record<string, unknown>) => void;
/** The hook without the gate in front (agents/claude/hook-gate.ts): `node <entry> hook <Event>`, in the exec form. */
const ungate: HookRewrite = (hook) => {
  const args = hook.args as string[];
  if (args[2] !== HOOK_GATE_NAME) return;
  hook.command = args[4];
  hook.args = args.slice(5);
};
const REWRITES: Partial<Record<Mode, HookRewrite>> = {
  before: (hook) => {
    // What the release before the async hooks wrote: `node "<entry>" hook <Event>` through a shell, each waited for.
    ungate(hook);
    hook.command = `node "${(hook.args as string[])[0]}" ${(hook.args as string[]).slice(1).join(' ')}`;
    delete hook.args;
    delete hook.asyncRewake;
  },
  ungated: ungate,
  true: (hook) => {
    hook.command = '/bin/true';
    hook.args = [];
  },
  'true-async': (hook) => {
    hook.command = '/bin/true';
    hook.args = [];
    if (hook.asyncRewake) {
      delete hook.asyncRewake;
      hook.async = true;
    }
  },
  sleep: (hook) => {
    hook.command = '/bin/sh';
    hook.args = ['-c', 'cat >/dev/null; sleep 0.3'];
  },
  node: (hook) => {
    hook.args = ['-e', '0'];
  },
  'on-async': (hook) => {
    if (hook.asyncRewake) {
      delete hook.asyncRewake;
      hook.async = true;
    }
  },
};
const MODE_ENV: Partial<Record<Mode, Record<string, string>>> = {
  normal: { SKILLOPT_BACKGROUND_PRIORITY: 'normal' },
  spool: { SKILLOPT_FLUSHER: '0' },
};
const PROMPTS = ['first', 'skill', 'reaction'] as const;
type PromptKind = (typeof PROMPTS)[number];

/** The number a prompt of this session carries (`… #<n>`), so each answer is new on screen. */
const nonce = (req: MessagesRequest): string => /#(\d+)/.exec(req.lastUserText)?.[1] ?? /#(\d+)(?![\s\S]*#\d)/.exec(req.allText)?.[1] ?? '?';

/** The judge passes every reaction; nothing is proposed. Instant: the model is not what is measured. */
const instantModel: ModelCall = async ({ role }) => (role === 'judge' ? JSON.stringify({ success: 1, confidence: 0.9, reason: 'fine' }) : '[]');



const execFileAsync = promisify(execFile);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  const server = await startAnthropicServer({
    rules: [
      { name: 'first', match: match.lastUserIncludes('hello #'), reply: (req) => ({ text: `Hi number ${nonce(req)}.` }) },
      { name: 'call-skill', match: match.all(match.lastUserIncludes('deploy the service #'), match.noToolResult), reply: { toolUse: { name: 'Skill', input: { skill: SKILL } } } },
      { name: 'after-skill', match: match.toolResult, reply: (req) => ({ text: `Deployed number ${nonce(req)}.` }) },
      { name: 'reaction', match: match.lastUserIncludes('that was wrong #'), reply: (req) => ({ text: `Sorry number ${nonce(req)}.` }) },
      // Claude Code's own side requests (titles, suggestions).
      { name: 'other', match: () => true, reply: { text: 'ok' } },
    ],
  });
  const root = mkdtempSync(join(tmpdir(), 'skillopt-bench-tui-'));
  const box = { root, cwd: join(root, 'project') };
  mkdirSync(box.cwd, { recursive: true });
  const skilloptHome = join(box.root, 'skillopt');
  const stack = await startLoopStack({
    skilloptHome,
    queue: 'skillopt-bench-tui',
    model: instantModel,
    transcriptRoots: MODES.flatMap((m) => agentTranscriptRoots({ HOME: join(box.root, m) })),
    rollout: { policy: 'direct', canary: DEFAULT_CANARY_SETTINGS },
    modelCallCap: 10_000,
  });
  // Not execFileSync: the worker serving the pull runs in this process.
  const skillopt = (args: string[], env: Record<string, string>) => execFileAsync(process.execPath, [SKILLOPT_BIN, ...args], { env, cwd: box.cwd, encoding: 'utf8' });

  // alice publishes the skill; each mode's user has it pulled (the same tree), with or without hooks.
  const source = join(box.root, 'src', 'deploy-checklist');
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, 'SKILL.md'), `---\nname: deploy-checklist\ndescription: Use when deploying services to production\n---\n${BODY}`);
  await skillopt(['push', source, '--author', 'alice'], baseEnv({ HOME: join(box.root, 'alice'), SKILLOPT_HOME: skilloptHome, SKILLOPT_USER: 'alice' }));
  const envs = {} as Record<Mode, Record<string, string>>;
  for (const mode of MODES) {
    const home = join(box.root, mode);
    mkdirSync(home, { recursive: true });
    envs[mode] = userEnvOn(stack, { home, skilloptHome: join(home, '.skillopt'), name: `bob-${mode}`, modelUrl: server.url }, MODE_ENV[mode] ?? {});
    await skillopt(['pull'], envs[mode]);
    acceptFirstRun(home, box.cwd, envs[mode].ANTHROPIC_API_KEY!);
    if (mode === 'off') continue;
    await skillopt(['hooks', 'install'], envs[mode]);
    const rewrite = REWRITES[mode];
    if (rewrite) {
      const path = join(home, '.claude', 'settings.json');
      const settings = JSON.parse(readFileSync(path, 'utf8')) as { hooks: Record<string, { hooks: Record<string, unknown>[] }[]> };
      for (const groups of Object.values(settings.hooks)) for (const hook of groups.flatMap((g) => g.hooks)) rewrite(hook);
      writeFileSync(path, JSON.stringify(settings, null, 2));
    }
  }

  const samples = Object.fromEntries(MODES.map((m) => [m, Object.fromEntries(PROMPTS.map((p) => [p, [] as number[]]))])) as Record<Mode, Record<PromptKind, number[]>>;
  let n = 0;
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const loadPerRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...MODES.slice(round % MODES.length), ...MODES.slice(0, round % MODES.length)];
    for (const mode of order) {
      const tui = await Tui.start(`bench-${mode}-${round}`, { env: envs[mode], cwd: box.cwd, logDir: join(box.root, 'tui') });
      try {
        // A moment for the session's start (SessionStart and what it spawned) to settle, as a user reads the screen.
        await new Promise((r) => setTimeout(r, 1500));
        n++;
        samples[mode].first.push(await tui.ask(`hello #${n}`, `Hi number ${n}.`));
        n++;
        samples[mode].skill.push(await tui.ask(`deploy the service #${n}`, `Deployed number ${n}.`));
        n++;
        samples[mode].reaction.push(await tui.ask(`that was wrong #${n}`, `Sorry number ${n}.`));
        await tui.exit();
      } finally {
        tui.kill();
      }
      console.log(`round ${round + 1}/${ROUNDS} ${mode}: ${PROMPTS.map((p) => `${p} ${Math.round(samples[mode][p].at(-1)!)} ms`).join(', ')} (load ${loadavg()[0]!.toFixed(2)})`);
    }
    loadPerRound.push(Math.round(loadavg()[0]! * 100) / 100);
  }

  const medians = Object.fromEntries(MODES.map((m) => [m, Object.fromEntries(PROMPTS.map((p) => [p, Math.round(median(samples[m][p]))]))]));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, loadavgAtStart: loadAtStart, loadavgAtEnd: loadavg().map((l) => Math.round(l * 100) / 100), load1PerRound: loadPerRound },
    claudeCode: '2.1.197',
    rounds: ROUNDS,
    what: 'ms from Enter to the answer on screen in the interactive Claude Code (tmux, screen read every 5 ms), scripted model on loopback; median of rounds',
    modes: Object.fromEntries(MODES.map((m) => [m, MODE_DESCRIPTIONS[m]])),
    medianMs: medians,
    samplesMs: Object.fromEntries(MODES.map((m) => [m, Object.fromEntries(PROMPTS.map((p) => [p, samples[m][p].map(Math.round)]))])),
  };
  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
  writeFileSync(resolve(REPO, 'bench', 'results', process.env.BENCH_TUI_OUT ?? 'tui.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(medians));

  await stopLoopStack({ skilloptHomes: MODES.map((m) => join(box.root, m, '.skillopt')), ...stack, server, folders: [box.root] });
}

await main();
