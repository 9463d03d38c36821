// npm run bench:hooks — what skillopt's hooks cost the agent, and how fast
// their events reach the workflow. Writes bench/results/hooks.json.
//
// 1. Each hook as a whole process (`node dist/hook.cjs hook <Event>`, the command
//    `hooks install` writes, JSON on stdin, as Claude Code runs it) against a bare `node -e 0`, interleaved in
//    the same loop so machine load hits every series alike. Series:
//    UserPromptSubmit with no window open (every prompt of every session pays
//    this), PreToolUse arming an org skill, UserPromptSubmit sending a reaction.
//    Stdin is measured both ways a parent can provide it: a socket (Node's
//    child_process) and a FIFO (a shell pipe). Arming is also measured cold,
//    with no flusher running, so the hook pays for starting one.
// 2. Delivery latency against a real Temporal dev server running the real
//    workflow: event file written (its name starts with the write time) →
//    the invocation's workflow answering its `state` query. Warm (a flusher
//    is lingering) and cold (the hook starts the flusher).
//
// 3. With `--baseline-hook <another build's dist/hook.cjs>` (or BENCH_BASELINE_HOOK=<path>;
//    e.g. the previous commit's, built in a worktree): that hook and this build's,
//    each in its own spool-only home (SKILLOPT_FLUSHER=0), run back to back for
//    every event (Claude Code's no-window prompt, arming, reaction; Codex's
//    ordinary command, arming, reaction), which one goes first alternating by
//    iteration, so "no slower than before" is a ratio of one run: ratios of the
//    medians, and the median of the per-iteration ratios with its confidence interval.
//
// 4. pi: skillopt's extension runs inside pi's own process (hooks/pi-extension.ts),
//    so what it costs is measured on the real pinned pi (`pi -p`, stdin closed)
//    against the scripted Responses API (test/fixtures/responses-server.ts) served
//    from this process: two throwaway PI_CODING_AGENT_DIRs with the same models,
//    settings and pulled skill, one with the extension `skillopt hooks install
//    --agent pi` writes, one with no extensions folder, alternated run by run.
//    Each round runs five sessions in each: `hello` (one prompt, no tool), N
//    `read`s of the pulled SKILL.md (each arms a window), N `read`s of a
//    non-skill file, and M prompts in one `pi -p --session <file> p1 … pM`
//    continuing the reads session (every prompt a reaction in an open window:
//    SKILLOPT_JUDGE_WINDOW is M+1) or the hello session (no window). Per event:
//    ((with − without) of that run − (with − without) of hello) / events, i.e.
//    pi's and the extension's start-up taken out; also the model server's view,
//    the median (and mean) gap between consecutive requests (one tool result or
//    one prompt each), with − without. SKILLOPT_FLUSHER=0, SKILLOPT_AUTOPULL=0 and
//    SKILLOPT_ATTRIBUTION=0: the processes the handlers would start (flusher,
//    session-start job) are not started, so only the in-process work is measured;
//    TEMPORAL_ADDRESS points at a closed port. Then, in a third agent dir, a probe
//    extension loads the same bundle and times each of its handlers inside pi
//    (BENCH_PI_PROBE_ROUNDS rounds of the same five runs): the in-process cost
//    itself, which the with/without differences bound from outside.
//
// 5. Gemini CLI, Copilot CLI and OpenCode: each real pinned CLI against its scripted
//    model server, in two homes alike but for what `skillopt hooks install --agent
//    <name>` writes, alternated round by round (bench/agent-hooks-<name>.ts says
//    what each scenario times): a prompt with no window open, a skill use that
//    arms, and a reaction in the open window; medians with, without, and of the
//    per-round differences. Each runs alone too (`npx tsx bench/agent-hooks-<name>.ts`).
//
// Knobs (defaults: a run takes 15–25 minutes on 2 cores): BENCH_HOOK_RUNS (60), BENCH_COLD_RUNS (10),
// BENCH_DELIVERY_RUNS (20), BENCH_PI_ROUNDS (10; 0 skips pi), BENCH_PI_WARMUP (1 round, discarded),
// BENCH_PI_READS (40), BENCH_PI_PROMPTS (20), BENCH_PI_PROBE_ROUNDS (2), BENCH_AGENT_ROUNDS (5 rounds of
// each of the three other agents; 0 skips them).
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { workflowIdForInvocation, type SkillRef } from '../core/skill-ref';
import { listOutbox } from '../local/outbox/files';
import { liveFlusherPid } from '../local/outbox/flusher-lock';
import { invocationStateQuery } from '../workflows/definitions';
import { passingActivities, startTestServer, uniqueName, workflowBundle } from '../test/helpers/temporal';
import { match, startResponsesServer, writePiHome, type Reply, type ResponsesRequest } from '../test/fixtures/responses-server';
import { benchCopilotHooks } from './agent-hooks-copilot';
import { benchGeminiHooks } from './agent-hooks-gemini';
import { benchOpenCodeHooks, OPENCODE_SCENARIOS } from './agent-hooks-opencode';

const HOOK_RUNS = Number(process.env.BENCH_HOOK_RUNS ?? 60);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);
const DELIVERY_RUNS = Number(process.env.BENCH_DELIVERY_RUNS ?? 20);
const ROOT = join(import.meta.dirname, '..');
const HOOK_ENTRY = join(ROOT, 'dist', 'hook.cjs');
const PI_ROUNDS = Number(process.env.BENCH_PI_ROUNDS ?? 10);
const PI_WARMUP = Number(process.env.BENCH_PI_WARMUP ?? 1);
const PI_READS = Number(process.env.BENCH_PI_READS ?? 40);
const PI_PROMPTS = Number(process.env.BENCH_PI_PROMPTS ?? 20);
const PI_PROBE_ROUNDS = Number(process.env.BENCH_PI_PROBE_ROUNDS ?? 2);
const PI_BIN = join(ROOT, 'node_modules', '.bin', 'pi');
const AGENT_ROUNDS = Number(process.env.BENCH_AGENT_ROUNDS ?? 5);

/** One scenario of an agent's with/without run, in ms: medians with and without skillopt, and of the per-round differences. */
interface AgentScenarioMs {
  with: number;
  without: number;
  overhead: number;
}
type AgentScenario = 'prompt' | 'arm' | 'reaction';

/** Section 5: Gemini CLI, Copilot CLI and OpenCode, one after the other, each in the same shape. */
async function benchOtherAgents(): Promise<Record<'gemini' | 'copilot' | 'opencode', { scenarios: Record<AgentScenario, AgentScenarioMs>; detail: unknown }>> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const gemini = await benchGeminiHooks({ rounds: AGENT_ROUNDS, log });
  const copilot = await benchCopilotHooks({ rounds: AGENT_ROUNDS });
  const opencode = await benchOpenCodeHooks({ rounds: AGENT_ROUNDS, log });
  const geminiScenario = (withKey: keyof typeof gemini.withMs, overheadKey: keyof typeof gemini.overheadMs): AgentScenarioMs => ({
    with: gemini.withMs[withKey],
    without: gemini.withoutMs[withKey],
    overhead: gemini.overheadMs[overheadKey],
  });
  const copilotScenario = (s: AgentScenario): AgentScenarioMs => ({ with: copilot.scenarios[s].withHooks, without: copilot.scenarios[s].without, overhead: copilot.scenarios[s].overhead });
  return {
    gemini: {
      scenarios: { prompt: geminiScenario('helloFirstRequest', 'promptNoWindow'), arm: geminiScenario('skillUseGap', 'skillUseArms'), reaction: geminiScenario('reactionFirstRequest', 'reaction') },
      detail: gemini,
    },
    copilot: { scenarios: { prompt: copilotScenario('prompt'), arm: copilotScenario('arm'), reaction: copilotScenario('reaction') }, detail: copilot },
    opencode: { scenarios: Object.fromEntries(OPENCODE_SCENARIOS.map((s) => [s, opencode.medians[s]])) as Record<AgentScenario, AgentScenarioMs>, detail: opencode },
  };
}

/** `--name value` or `--name=value` on the command line (`npm run bench:hooks -- --baseline-hook <path>`). */
function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  if (at >= 0) return process.argv[at + 1];
  return process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}
const baselineArg = (argValue('--baseline-hook') ?? process.env.BENCH_BASELINE_HOOK)?.trim();
const BASELINE_HOOK = baselineArg ? resolve(baselineArg) : undefined;
if (BASELINE_HOOK && !existsSync(BASELINE_HOOK)) throw new Error(`--baseline-hook ${BASELINE_HOOK}: no such file (build that commit first)`);
const TARGETS = { noWindowRatio: 1.15, armingRatio: 1.3, reactionRatio: 1.3, deliveryP99Ms: 1000 };

interface Stats {
  n: number;
  median: number;
  p95: number;
  p99: number;
  mean: number;
  min: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    n: sorted.length,
    median: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    min: round(sorted[0]!),
  };
}

/** How a per-round (or per-iteration) quantity spread: its median, quartiles, and a confidence interval for the median. */
interface Spread {
  n: number;
  median: number;
  /** 25th and 75th percentiles. */
  iqr: [number, number];
  /** Distribution-free (order statistics, binomial): the widest level ≥ 95% there is, else min–max with its own level. */
  ci: { level: number; low: number; high: number };
}

function spread(samples: number[], digits = 2): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const round = (x: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  // P(Binomial(n, 1/2) ≤ k) for k = 0…n.
  const cdf: number[] = [];
  let term = 0.5 ** n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    sum += term;
    cdf.push(sum);
    term = (term * (n - i)) / (i + 1);
  }
  // [x(k), x(n−k+1)] covers the median with probability 1 − 2·P(B ≤ k−1): the largest k still at 95%.
  let k = 1;
  while (k + 1 <= n / 2 && 1 - 2 * cdf[k]! >= 0.95) k++;
  return {
    n,
    median: round(percentile(sorted, 50)),
    iqr: [round(percentile(sorted, 25)), round(percentile(sorted, 75))],
    ci: { level: Math.round((1 - 2 * cdf[k - 1]!) * 1000) / 1000, low: round(sorted[k - 1]!), high: round(sorted[n - k]!) },
  };
}

const formatSpread = (s: Spread, unit = '') =>
  `median ${s.median.toFixed(unit === '×' ? 3 : 2)}${unit}  ${Math.round(s.ci.level * 100)}% CI [${s.ci.low}, ${s.ci.high}]  IQR [${s.iqr[0]}, ${s.iqr[1]}]  n=${s.n}`;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- the sandbox: a user with one pulled org skill ----

const dir = mkdtempSync(join(tmpdir(), 'skillopt-bench-hooks-'));
const home = join(dir, 'home');
const skilloptHome = join(dir, 'skillopt-home');
const project = join(dir, 'project');
const skill: SkillRef = { name: uniqueName('deploy-checklist'), author: 'alice' };
const skillDir = `${skill.name}--${skill.author}`;
const userSkills = join(home, '.claude', 'skills');
mkdirSync(join(userSkills, skillDir), { recursive: true });
mkdirSync(project, { recursive: true });
mkdirSync(skilloptHome, { recursive: true });
writeFileSync(join(userSkills, skillDir, 'SKILL.md'), `---\nname: ${skillDir}\ndescription: bench\nversion: 1\n---\n\n# Deploy\n`);
// The same skill pulled for Codex too: $CODEX_HOME/skills (one install record per root).
const codexHome = join(dir, 'codex-home');
const codexSkills = join(codexHome, 'skills');
mkdirSync(join(codexSkills, skillDir), { recursive: true });
writeFileSync(join(codexSkills, skillDir, 'SKILL.md'), `---\nname: ${skillDir}\ndescription: bench\nversion: 1\n---\n\n# Deploy\n`);
writeFileSync(
  join(skilloptHome, 'manifest.json'),
  JSON.stringify({
    version: 1,
    entries: [userSkills, codexSkills].map((root) => ({ dirName: skillDir, name: skill.name, author: skill.author, version: 1, scope: 'user', root, pulledAt: new Date().toISOString() })),
  }),
);
// A second SKILLOPT_HOME where no flusher runs (SKILLOPT_FLUSHER=0): arming and
// reacting measured without delivery work competing for the CPU at the same time.
const spoolOnlyHome = join(dir, 'skillopt-home-spool-only');
mkdirSync(spoolOnlyHome, { recursive: true });
writeFileSync(join(spoolOnlyHome, 'manifest.json'), readFileSync(join(skilloptHome, 'manifest.json')));
// The baseline build's own spool-only home, so neither build's files meet the other's.
const baselineHome = join(dir, 'skillopt-home-baseline');
mkdirSync(baselineHome, { recursive: true });
writeFileSync(join(baselineHome, 'manifest.json'), readFileSync(join(skilloptHome, 'manifest.json')));
// This build's counterpart of it, for the runs paired with the baseline's.
const currentHome = join(dir, 'skillopt-home-current');
mkdirSync(currentHome, { recursive: true });
writeFileSync(join(currentHome, 'manifest.json'), readFileSync(join(skilloptHome, 'manifest.json')));
const projectKey = project.replace(/[^A-Za-z0-9]/g, '-');
const transcriptDir = join(home, '.claude', 'projects', projectKey);
mkdirSync(transcriptDir, { recursive: true });

function transcriptPath(sessionId: string): string {
  return join(transcriptDir, `${sessionId}.jsonl`);
}

// Payloads shaped exactly like Claude Code 2.1.197's (hooks reference §3).
function userPromptSubmit(sessionId: string, prompt: string) {
  return { session_id: sessionId, transcript_path: transcriptPath(sessionId), cwd: project, prompt_id: randomUUID(), permission_mode: 'default', hook_event_name: 'UserPromptSubmit', prompt };
}

function preToolUse(sessionId: string, toolUseId = `toolu_01${randomUUID().replace(/-/g, '').slice(0, 22)}`) {
  return {
    session_id: sessionId,
    transcript_path: transcriptPath(sessionId),
    cwd: project,
    prompt_id: randomUUID(),
    permission_mode: 'default',
    effort: { level: 'high' },
    hook_event_name: 'PreToolUse',
    tool_name: 'Skill',
    tool_input: { skill: skillDir },
    tool_use_id: toolUseId,
  };
}

// Payloads shaped like Codex CLI 0.171.0's (docs/codex-cli.md): every shell command reaches PreToolUse (matcher Bash).
function codexBase(sessionId: string, event: string) {
  return { session_id: sessionId, turn_id: randomUUID(), transcript_path: join(codexHome, 'sessions', `rollout-${sessionId}.jsonl`), cwd: project, hook_event_name: event, model: 'gpt-5', permission_mode: 'bypassPermissions' };
}
function codexShell(sessionId: string, command: string) {
  return { ...codexBase(sessionId, 'PreToolUse'), tool_name: 'Bash', tool_input: { command }, tool_use_id: `call_${randomUUID().replace(/-/g, '').slice(0, 24)}` };
}
function codexPrompt(sessionId: string, prompt: string) {
  return { ...codexBase(sessionId, 'UserPromptSubmit'), prompt };
}
const readSkill = `sed -n '1,200p' ${join(codexSkills, skillDir, 'SKILL.md')}`;

// The floor any hook entry pays before skillopt's code runs: node loading an empty CommonJS file.
const floorDir = join(dir, 'entry-floor');
mkdirSync(floorDir);
writeFileSync(join(floorDir, 'empty.cjs'), '');

// ---- timing one process ----

type StdinKind = 'socket' | 'fifo';
const fifoPath = join(dir, 'stdin.fifo');
spawnSync('mkfifo', [fifoPath]);

/** Runs one process with `input` on stdin; returns wall-clock ms from spawn to exit. */
function timeProcess(args: string[], input: string, env: NodeJS.ProcessEnv, kind: StdinKind): number {
  const options: SpawnSyncOptions = { cwd: project, env, stdio: ['pipe', 'pipe', 'pipe'] };
  let readEnd: number | undefined;
  if (kind === 'fifo') {
    // A pipe with the payload already in it and no writer left: the child reads it, then EOF.
    readEnd = openSync(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeEnd = openSync(fifoPath, constants.O_WRONLY);
    writeSync(writeEnd, input);
    closeSync(writeEnd);
    options.stdio = [readEnd, 'pipe', 'pipe'];
  } else {
    options.input = input;
  }
  const started = performance.now();
  const result = spawnSync(process.execPath, args, options);
  const ms = performance.now() - started;
  if (readEnd !== undefined) closeSync(readEnd);
  if (result.status !== 0 || (result.stdout?.length ?? 0) > 0) {
    throw new Error(`${args.join(' ')} exited ${String(result.status)} with stdout ${String(result.stdout)}`);
  }
  return ms;
}

const hookArgs = (event: string) => [HOOK_ENTRY, 'hook', event];
const codexHookArgs = (event: string) => [HOOK_ENTRY, 'hook', event, '--agent', 'codex'];
const line = (payload: unknown) => `${JSON.stringify(payload)}\n`;

// ---- pi: the extension in pi's own process, the real pi against a scripted model ----

type PiArm = 'with' | 'without';
type PiShape = 'hello' | 'skillReads' | 'otherReads' | 'promptsOpen' | 'promptsIdle';
const PI_SHAPES: PiShape[] = ['hello', 'skillReads', 'otherReads', 'promptsOpen', 'promptsIdle'];
/** One `pi -p` run: spawn to exit, spawn to the first model request, and the gaps between consecutive model requests. */
interface PiRun {
  wallMs: number;
  firstRequestMs: number;
  gapsMs: number[];
}

const PI_HELLO = 'bench: hello';
const PI_READ_SKILL = 'bench: follow the deploy checklist';
const PI_READ_NOTES = 'bench: look at my notes';

type PiAgentDir = PiArm | 'probe';

/**
 * A pi extension that loads skillopt's bundle itself, handing it a `pi` whose
 * `on` wraps each handler with a timer, and appends the times to `out` when the
 * session shuts down (after skillopt's own session_shutdown handler).
 */
function piProbeSource(bundle: string, out: string): string {
  return [
    "import { appendFileSync } from 'node:fs';",
    `const BUNDLE = ${JSON.stringify(bundle)};`,
    `const OUT = ${JSON.stringify(out)};`,
    'type Handler = (...args: unknown[]) => unknown;',
    'export default async function probe(pi: { on(event: string, handler: Handler): void }): Promise<void> {',
    '  const { default: extension } = (await import(BUNDLE)) as { default: (pi: unknown) => void };',
    '  const times: Record<string, number[]> = {};',
    '  extension({',
    '    on(event: string, handler: Handler) {',
    '      pi.on(event, async (...args: unknown[]) => {',
    '        const started = performance.now();',
    '        try {',
    '          return await handler(...args);',
    '        } finally {',
    '          (times[event] ??= []).push(performance.now() - started);',
    '        }',
    '      });',
    '    },',
    '  });',
    "  pi.on('session_shutdown', () => appendFileSync(OUT, `${JSON.stringify(times)}\\n`));",
    '}',
    '',
  ].join('\n');
}

function piVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', '@mariozechner', 'pi-coding-agent', 'package.json'), 'utf8')) as { version: string }).version;
}

async function benchPi() {
  const piDir = join(dir, 'pi');
  const piProject = join(piDir, 'project');
  mkdirSync(piProject, { recursive: true });
  // The same bytes for the skill and the other file: the model's context grows alike in both.
  const body = (title: string) => `# ${title}\n\n${Array.from({ length: 12 }, (_, k) => `${k + 1}. Step ${k + 1}: check it, then say so.`).join('\n')}\n`;
  const notesFile = join(piProject, 'notes.md');
  writeFileSync(notesFile, body('Notes'));

  // The scripted model: N reads then "Done." for the read prompts, "Ok." for anything else; every request stamped.
  let current = { skillFile: '', stamps: [] as number[] };
  const reads =
    (file: () => string) =>
    (req: ResponsesRequest): Reply => {
      current.stamps.push(performance.now());
      return req.toolResults.length < PI_READS ? { functionCall: { name: 'read', arguments: { path: file() } } } : { text: 'Done.' };
    };
  const server = await startResponsesServer({
    rules: [
      { name: 'skill-reads', match: match.prompt(PI_READ_SKILL), reply: reads(() => current.skillFile) },
      { name: 'other-reads', match: match.prompt(PI_READ_NOTES), reply: reads(() => notesFile) },
      {
        name: 'text',
        match: match.always,
        reply: () => {
          current.stamps.push(performance.now());
          return { text: 'Ok.' };
        },
      },
    ],
  });

  // Two agent dirs alike but for the extension (same name lengths: the same bytes reach the model).
  const arm = (name: string) => {
    const home = writePiHome(join(piDir, name), { url: server.url });
    const skills = join(home.agentDir, 'skills');
    mkdirSync(join(skills, skillDir), { recursive: true });
    const skillFile = join(skills, skillDir, 'SKILL.md');
    writeFileSync(skillFile, `---\nname: ${skillDir}\ndescription: Checklist for deploying the service. Use when asked to deploy.\nversion: 1\n---\n\n${body('Deploy')}`);
    const home2 = join(piDir, name, 'skillopt-home');
    mkdirSync(home2, { recursive: true });
    writeFileSync(
      join(home2, 'manifest.json'),
      JSON.stringify({ version: 1, entries: [{ dirName: skillDir, name: skill.name, author: skill.author, version: 1, scope: 'user', root: skills, pulledAt: new Date().toISOString() }] }),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...home.env,
      SKILLOPT_HOME: home2,
      SKILLOPT_USER: 'alice',
      // Only the extension's in-process work: no flusher, no session-start job (pull, attribution).
      SKILLOPT_FLUSHER: '0',
      SKILLOPT_AUTOPULL: '0',
      SKILLOPT_ATTRIBUTION: '0',
      // Every prompt of the open-window run is a reaction.
      SKILLOPT_JUDGE_WINDOW: String(PI_PROMPTS + 1),
      // Nothing listens there.
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      TEMPORAL_NAMESPACE: 'default',
    };
    return { agentDir: home.agentDir, sessionsDir: home.sessionsDir, skillFile, skilloptHome: home2, env };
  };
  // A third, after the alternating rounds: skillopt's bundle loaded by a probe that times each of its handlers in pi.
  const arms: Record<PiAgentDir, ReturnType<typeof arm>> = { with: arm('pi-with'), without: arm('pi-none'), probe: arm('pi-prob') };

  // `skillopt hooks install --agent pi`, as a user runs it, into the "with" agent dir only.
  const install = spawnSync(process.execPath, [join(ROOT, 'bin', 'skillopt.js'), 'hooks', 'install', '--agent', 'pi'], { cwd: piProject, env: arms.with.env, encoding: 'utf8' });
  const extensionFile = join(arms.with.agentDir, 'extensions', 'skillopt.ts');
  if (install.status !== 0 || !existsSync(extensionFile)) throw new Error(`hooks install --agent pi failed: ${install.stdout}${install.stderr}`);
  if (existsSync(join(arms.without.agentDir, 'extensions'))) throw new Error('the "without" agent dir has an extensions folder');
  const probeOut = join(piDir, 'probe.jsonl');
  mkdirSync(join(arms.probe.agentDir, 'extensions'));
  writeFileSync(join(arms.probe.agentDir, 'extensions', 'skillopt-probe.ts'), piProbeSource(join(ROOT, 'dist', 'pi-extension.mjs'), probeOut));

  const sessionFiles = (a: PiAgentDir): Set<string> =>
    new Set(existsSync(arms[a].sessionsDir) ? readdirSync(arms[a].sessionsDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl')).map((f) => join(arms[a].sessionsDir, f)) : []);

  /** One `pi -p …` (stdin closed) in arm `a`, expecting `requests` model requests; the session file it wrote. */
  async function runPi(a: PiAgentDir, args: string[], requests: number): Promise<PiRun & { session: string | undefined }> {
    const before = sessionFiles(a);
    current = { skillFile: arms[a].skillFile, stamps: [] };
    const started = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
      const child = spawn(process.execPath, [PI_BIN, '-p', ...args], { cwd: piProject, env: arms[a].env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', fail);
      child.on('close', (c) => {
        clearTimeout(timer);
        done({ code: c, stderr: err });
      });
    });
    const wallMs = performance.now() - started;
    server.resetRequests();
    const { stamps } = current;
    if (code !== 0 || stamps.length !== requests) {
      throw new Error(`pi -p ${args.join(' ').slice(0, 80)} (${a}): exit ${String(code)}, ${stamps.length} model requests (expected ${requests})\n${stderr}`);
    }
    const after = [...sessionFiles(a)].filter((f) => !before.has(f));
    return { wallMs, firstRequestMs: stamps[0]! - started, gapsMs: stamps.slice(1).map((t, j) => t - stamps[j]!), session: after[0] };
  }

  const prompts = Array.from({ length: PI_PROMPTS }, (_, k) => `bench: prompt ${k + 1}`);
  /** One round's five runs, for any agent dir (the continued sessions are that dir's own). */
  const roundOfShapes = (): Record<PiShape, (a: PiAgentDir) => Promise<PiRun>> => {
    const sessions: Partial<Record<PiAgentDir, { hello?: string; skillReads?: string }>> = {};
    const continued = (file: string | undefined) => {
      if (!file) throw new Error('pi wrote no session file');
      return file;
    };
    return {
      hello: async (a) => {
        const run = await runPi(a, [PI_HELLO], 1);
        (sessions[a] ??= {}).hello = run.session;
        return run;
      },
      skillReads: async (a) => {
        const run = await runPi(a, [PI_READ_SKILL], PI_READS + 1);
        (sessions[a] ??= {}).skillReads = run.session;
        return run;
      },
      otherReads: (a) => runPi(a, [PI_READ_NOTES], PI_READS + 1),
      promptsOpen: (a) => runPi(a, ['--session', continued(sessions[a]?.skillReads), ...prompts], PI_PROMPTS),
      promptsIdle: (a) => runPi(a, ['--session', continued(sessions[a]?.hello), ...prompts], PI_PROMPTS),
    };
  };
  const rounds: Record<PiShape, Record<PiArm, PiRun>>[] = [];
  const load1PerRound: number[] = [];
  const handler = { sessionStart: [] as number[], toolResultArming: [] as number[], toolResultOther: [] as number[], inputReaction: [] as number[], inputNoWindow: [] as number[], sessionShutdown: [] as number[] };
  try {
    for (let r = 0; r < PI_WARMUP + PI_ROUNDS; r++) {
      const round = Object.fromEntries(PI_SHAPES.map((s) => [s, {}])) as Record<PiShape, Record<PiArm, PiRun>>;
      const shapes = roundOfShapes();
      for (const [s, shape] of PI_SHAPES.entries()) {
        // Who goes first alternates by shape and by round.
        const order: PiArm[] = (r + s) % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
        for (const a of order) round[shape][a] = await shapes[shape](a);
      }
      if (r >= PI_WARMUP) {
        rounds.push(round);
        load1PerRound.push(loadavg()[0]!);
      }
      process.stderr.write(`pi round ${r + 1}/${PI_WARMUP + PI_ROUNDS}${r < PI_WARMUP ? ' (warm-up)' : ''}\n`);
    }
    // The probe: each handler of skillopt's extension timed inside pi (ms from its call to its promise settling).
    for (let r = 0; r < PI_PROBE_ROUNDS; r++) {
      const shapes = roundOfShapes();
      for (const shape of PI_SHAPES) {
        rmSync(probeOut, { force: true });
        await shapes[shape]('probe');
        const times = JSON.parse(readFileSync(probeOut, 'utf8')) as Record<string, number[] | undefined>;
        handler.sessionStart.push(...(times.session_start ?? []));
        handler.sessionShutdown.push(...(times.session_shutdown ?? []));
        (shape === 'skillReads' ? handler.toolResultArming : handler.toolResultOther).push(...(times.tool_result ?? []));
        (shape === 'promptsOpen' ? handler.inputReaction : handler.inputNoWindow).push(...(times.input ?? []));
      }
      process.stderr.write(`pi probe round ${r + 1}/${PI_PROBE_ROUNDS}\n`);
    }
  } finally {
    await server.close();
  }

  // The extension did its work: each round spooled N invoked + (N − 1) superseded + 1 sessionEnded (the reads session)
  // and M reactions + 1 sessionEnded (its continuation); nothing went to hooks.log.
  const expectedOutbox = (PI_WARMUP + PI_ROUNDS) * (2 * PI_READS + PI_PROMPTS + 1);
  const outboxEvents = listOutbox(arms.with.skilloptHome).length;
  const logPath = join(arms.with.skilloptHome, 'hooks.log');
  const hooksLog = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
  if (outboxEvents !== expectedOutbox || hooksLog !== '') {
    throw new Error(`the extension did not do what it should: ${outboxEvents} outbox events (expected ${expectedOutbox}); hooks.log: ${hooksLog.slice(0, 2000)}`);
  }
  if (existsSync(join(arms.without.skilloptHome, 'outbox'))) throw new Error('the "without" arm spooled events');
  if (PI_PROBE_ROUNDS > 0 && handler.toolResultArming.length !== PI_PROBE_ROUNDS * PI_READS) throw new Error(`the probe timed ${handler.toolResultArming.length} arming tool results`);

  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  const diff = (rd: Record<PiShape, Record<PiArm, PiRun>>, s: PiShape) => rd[s].with.wallMs - rd[s].without.wallMs;
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  // The typical gap (robust to the odd preemption on a busy machine), and the mean one (what adds up to wall time).
  const gapDiff = (rd: Record<PiShape, Record<PiArm, PiRun>>, s: PiShape) => median(rd[s].with.gapsMs) - median(rd[s].without.gapsMs);
  const meanGapDiff = (rd: Record<PiShape, Record<PiArm, PiRun>>, s: PiShape) => mean(rd[s].with.gapsMs) - mean(rd[s].without.gapsMs);
  const tenth = (x: number) => Math.round(x * 10) / 10;
  const perArm = (f: (run: PiRun) => number) => each((s) => ({ with: rounds.map((rd) => tenth(f(rd[s].with))), without: rounds.map((rd) => tenth(f(rd[s].without))) }));
  const perRound = (f: (rd: Record<PiShape, Record<PiArm, PiRun>>) => number, digits = 2) => spread(rounds.map(f), digits);
  const each = <T>(f: (s: PiShape) => T) => Object.fromEntries(PI_SHAPES.map((s) => [s, f(s)])) as Record<PiShape, T>;
  const events = { skillReads: PI_READS, otherReads: PI_READS, promptsOpen: PI_PROMPTS, promptsIdle: PI_PROMPTS } as const;
  const totals = (rd: Record<PiShape, Record<PiArm, PiRun>>, a: PiArm) => PI_SHAPES.reduce((t, s) => t + rd[s][a].wallMs, 0);
  return {
    pi: piVersion(),
    method:
      'real pi (`pi -p`, stdin closed) against the scripted Responses API on loopback in this process; two agent dirs alike but for skillopt\'s extension (installed by `skillopt hooks install --agent pi`), alternated run by run (who goes first alternates by shape and round), warm-up rounds discarded. Shapes: hello = 1 prompt; skillReads = 1 prompt, N `read`s of the pulled SKILL.md (each arms); otherReads = 1 prompt, N `read`s of a non-skill file; promptsOpen = M prompts in one `pi -p --session` continuing skillReads (each a reaction, SKILLOPT_JUDGE_WINDOW=M+1); promptsIdle = M prompts continuing hello (no window). perEventMs: ((with − without) of the shape − (with − without) of hello) / (N, or M − 1), per round; perEventGapMs: per round, median gap between consecutive model requests (one tool result or one prompt each), with − without (perEventMeanGapMs: the mean gap); naivePerEventMs: (with − without) of the shape / (N or M). Spreads are over rounds.',
    env: { SKILLOPT_FLUSHER: '0', SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0', SKILLOPT_JUDGE_WINDOW: String(PI_PROMPTS + 1), TEMPORAL_ADDRESS: '127.0.0.1:1 (nothing listens)' },
    note: 'no flusher and no session-start job (pull, attribution) are started: only the extension\'s in-process work is measured',
    rounds: PI_ROUNDS,
    warmupRounds: PI_WARMUP,
    reads: PI_READS,
    prompts: PI_PROMPTS,
    extensionWork: { outboxEvents, expectedOutboxEvents: expectedOutbox, hooksLogBytes: hooksLog.length },
    load1PerRound,
    wallMs: each((s) => ({ with: stats(rounds.map((rd) => rd[s].with.wallMs)), without: stats(rounds.map((rd) => rd[s].without.wallMs)) })),
    /** Whole-run wall time with / without, per round: all five runs together, and each shape. */
    wallRatio: { all: perRound((rd) => totals(rd, 'with') / totals(rd, 'without'), 3), ...each((s) => perRound((rd) => rd[s].with.wallMs / rd[s].without.wallMs, 3)) },
    /** What the extension adds to a whole `pi -p` run of one prompt (load, session_start, input, session_shutdown), and up to the first model request. */
    startupMs: { helloRun: perRound((rd) => diff(rd, 'hello')), toFirstRequest: perRound((rd) => rd.hello.with.firstRequestMs - rd.hello.without.firstRequestMs) },
    perEventMs: {
      toolResultArming: perRound((rd) => (diff(rd, 'skillReads') - diff(rd, 'hello')) / PI_READS),
      toolResultOther: perRound((rd) => (diff(rd, 'otherReads') - diff(rd, 'hello')) / PI_READS),
      promptReaction: perRound((rd) => (diff(rd, 'promptsOpen') - diff(rd, 'hello')) / (PI_PROMPTS - 1)),
      promptNoWindow: perRound((rd) => (diff(rd, 'promptsIdle') - diff(rd, 'hello')) / (PI_PROMPTS - 1)),
    },
    perEventGapMs: {
      toolResultArming: perRound((rd) => gapDiff(rd, 'skillReads')),
      toolResultOther: perRound((rd) => gapDiff(rd, 'otherReads')),
      promptReaction: perRound((rd) => gapDiff(rd, 'promptsOpen')),
      promptNoWindow: perRound((rd) => gapDiff(rd, 'promptsIdle')),
    },
    perEventMeanGapMs: {
      toolResultArming: perRound((rd) => meanGapDiff(rd, 'skillReads')),
      toolResultOther: perRound((rd) => meanGapDiff(rd, 'otherReads')),
      promptReaction: perRound((rd) => meanGapDiff(rd, 'promptsOpen')),
      promptNoWindow: perRound((rd) => meanGapDiff(rd, 'promptsIdle')),
    },
    naivePerEventMs: {
      toolResultArming: perRound((rd) => diff(rd, 'skillReads') / events.skillReads),
      toolResultOther: perRound((rd) => diff(rd, 'otherReads') / events.otherReads),
      promptReaction: perRound((rd) => diff(rd, 'promptsOpen') / events.promptsOpen),
      promptNoWindow: perRound((rd) => diff(rd, 'promptsIdle') / events.promptsIdle),
    },
    /** Inside pi, from the probe's rounds: each handler of skillopt's extension, ms from its call to its promise settling (the first of a process included). */
    ...(PI_PROBE_ROUNDS > 0 ? { handlerMs: { probeRounds: PI_PROBE_ROUNDS, ...(Object.fromEntries(Object.entries(handler).map(([k, v]) => [k, stats(v)])) as Record<keyof typeof handler, Stats>) } } : {}),
    /** Per round, each run: wall time, spawn to the first model request, median and mean gap between model requests. */
    samples: { wallMs: perArm((r) => r.wallMs), firstRequestMs: perArm((r) => r.firstRequestMs), medianGapMs: perArm((r) => median(r.gapsMs)), meanGapMs: perArm((r) => mean(r.gapsMs)) },
  };
}

// ---- Temporal: a dev server and a worker running the real workflow ----


async function main(): Promise<void> {
  const loadBefore = loadavg();
  const server = await startTestServer();
  const taskQueue = uniqueName('bench-hooks');
  const worker = await Worker.create({ connection: server.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: passingActivities() });
  const workerRun = worker.run();
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    SKILLOPT_HOME: skilloptHome,
    SKILLOPT_USER: 'alice',
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    SKILLOPT_TASK_QUEUE: taskQueue,
    // Judged by this process's worker (passing activities): a teammate machine's own queue would be served by its flusher.
    SKILLOPT_ACTIVITY_QUEUE: taskQueue,
    CODEX_HOME: codexHome,
  };
  /** Whether the invocation workflow of this Skill call has started and answers its query. */
  const delivered = async (sessionId: string, toolUseId: string): Promise<boolean> =>
    server.client.workflow
      .getHandle(workflowIdForInvocation(skill, sessionId, toolUseId))
      .query(invocationStateQuery)
      .then(
        () => true,
        () => false,
      );

  try {
    // Warm-up: the OS file cache, the workflow started, one flusher delivered.
    const warmed: [string, string][] = [];
    for (let i = 0; i < 5; i++) {
      const session = randomUUID();
      warmed.push([session, `toolu_warm${i}`]);
      timeProcess(['-e', '0'], '', baseEnv, 'socket');
      timeProcess(hookArgs('PreToolUse'), line(preToolUse(session, `toolu_warm${i}`)), baseEnv, 'socket');
      timeProcess(hookArgs('UserPromptSubmit'), line(userPromptSubmit(session, 'warm up')), baseEnv, 'socket');
    }
    for (const [session, toolUseId] of warmed) while (!(await delivered(session, toolUseId))) await sleep(50);

    // ---- 1. hooks as processes, interleaved with the bare baseline ----
    type Series = 'bare' | 'entryFloor' | 'noWindow' | 'arming' | 'reaction';
    const series: Record<StdinKind, Record<Series, number[]>> = {
      socket: { bare: [], entryFloor: [], noWindow: [], arming: [], reaction: [] },
      fifo: { bare: [], entryFloor: [], noWindow: [], arming: [], reaction: [] },
    };
    const spoolOnly = { arming: [] as number[], reaction: [] as number[] };
    // Codex, socket stdin: an ordinary shell command (the hook runs for each), arming, a reaction; with their own bare baseline.
    const codex = { bare: [] as number[], shellCommand: [] as number[], arming: [] as number[], reaction: [] as number[] };
    const spoolOnlyEnv = { ...baseEnv, SKILLOPT_HOME: spoolOnlyHome, SKILLOPT_FLUSHER: '0' };
    const baselineEnv = { ...baseEnv, SKILLOPT_HOME: baselineHome, SKILLOPT_FLUSHER: '0' };
    const currentEnv = { ...baseEnv, SKILLOPT_HOME: currentHome, SKILLOPT_FLUSHER: '0' };
    const builds = [
      { key: 'now', hook: HOOK_ENTRY, env: currentEnv },
      { key: 'baseline', hook: BASELINE_HOOK ?? '', env: baselineEnv },
    ] as const;
    const pairedSeries = () => ({ noWindow: [] as number[], arming: [] as number[], reaction: [] as number[], codexShellCommand: [] as number[], codexArming: [] as number[], codexReaction: [] as number[] });
    const paired = { now: pairedSeries(), baseline: pairedSeries() };
    const idleSession = randomUUID();
    const prompt = 'that was wrong, you skipped the tests';
    for (let i = 0; i < HOOK_RUNS; i++) {
      for (const kind of ['socket', 'fifo'] as const) {
        const s = series[kind];
        const session = randomUUID();
        s.bare.push(timeProcess(['-e', '0'], line(userPromptSubmit(idleSession, prompt)), baseEnv, kind));
        s.entryFloor.push(timeProcess([join(floorDir, 'empty.cjs'), 'hook'], line(userPromptSubmit(idleSession, prompt)), baseEnv, kind));
        s.noWindow.push(timeProcess(hookArgs('UserPromptSubmit'), line(userPromptSubmit(idleSession, prompt)), baseEnv, kind));
        s.arming.push(timeProcess(hookArgs('PreToolUse'), line(preToolUse(session)), baseEnv, kind));
        s.reaction.push(timeProcess(hookArgs('UserPromptSubmit'), line(userPromptSubmit(session, prompt)), baseEnv, kind));
      }
      const codexSession = randomUUID();
      codex.bare.push(timeProcess(['-e', '0'], line(codexShell(codexSession, 'ls -la')), baseEnv, 'socket'));
      codex.shellCommand.push(timeProcess(codexHookArgs('PreToolUse'), line(codexShell(codexSession, 'ls -la')), baseEnv, 'socket'));
      codex.arming.push(timeProcess(codexHookArgs('PreToolUse'), line(codexShell(codexSession, readSkill)), baseEnv, 'socket'));
      codex.reaction.push(timeProcess(codexHookArgs('UserPromptSubmit'), line(codexPrompt(codexSession, prompt)), baseEnv, 'socket'));
      const spoolSession = randomUUID();
      spoolOnly.arming.push(timeProcess(hookArgs('PreToolUse'), line(preToolUse(spoolSession)), spoolOnlyEnv, 'socket'));
      spoolOnly.reaction.push(timeProcess(hookArgs('UserPromptSubmit'), line(userPromptSubmit(spoolSession, prompt)), spoolOnlyEnv, 'socket'));
      if (BASELINE_HOOK) {
        // Each event run by both builds back to back, spool only, in their own homes; who goes first alternates.
        const order = i % 2 === 0 ? builds : [builds[1], builds[0]];
        const sessions = { now: randomUUID(), baseline: randomUUID() };
        const codexSessions = { now: randomUUID(), baseline: randomUUID() };
        const events: [keyof ReturnType<typeof pairedSeries>, (b: (typeof builds)[number]) => [string[], unknown]][] = [
          ['noWindow', (b) => [[b.hook, 'hook', 'UserPromptSubmit'], userPromptSubmit(idleSession, prompt)]],
          ['arming', (b) => [[b.hook, 'hook', 'PreToolUse'], preToolUse(sessions[b.key])]],
          ['reaction', (b) => [[b.hook, 'hook', 'UserPromptSubmit'], userPromptSubmit(sessions[b.key], prompt)]],
          ['codexShellCommand', (b) => [[b.hook, 'hook', 'PreToolUse', '--agent', 'codex'], codexShell(codexSessions[b.key], 'ls -la')]],
          ['codexArming', (b) => [[b.hook, 'hook', 'PreToolUse', '--agent', 'codex'], codexShell(codexSessions[b.key], readSkill)]],
          ['codexReaction', (b) => [[b.hook, 'hook', 'UserPromptSubmit', '--agent', 'codex'], codexPrompt(codexSessions[b.key], prompt)]],
        ];
        for (const [event, payload] of events) {
          for (const b of order) {
            const [args, input] = payload(b);
            paired[b.key][event].push(timeProcess(args, line(input), b.env, 'socket'));
          }
        }
      }
    }

    // Cold arming: no flusher running, so the hook starts one (the usual case after minutes of quiet).
    const coldEnv = { ...baseEnv, SKILLOPT_FLUSHER_LINGER_MS: '0' };
    const cold = { bare: [] as number[], arming: [] as number[] };
    for (let i = 0; i < COLD_RUNS; i++) {
      while (liveFlusherPid(skilloptHome) !== undefined || listOutbox(skilloptHome).length > 0) await sleep(20);
      cold.bare.push(timeProcess(['-e', '0'], line(preToolUse(randomUUID())), coldEnv, 'socket'));
      cold.arming.push(timeProcess(hookArgs('PreToolUse'), line(preToolUse(randomUUID())), coldEnv, 'socket'));
    }

    // ---- 2. delivery latency: event file written → signal visible in the workflow ----
    async function deliveryOnce(env: NodeJS.ProcessEnv): Promise<number> {
      const [session, toolUseId] = [randomUUID(), `toolu_${randomUUID().slice(0, 8)}`];
      const known = new Set(listOutbox(skilloptHome));
      timeProcess(hookArgs('PreToolUse'), line(preToolUse(session, toolUseId)), env, 'socket');
      const file = listOutbox(skilloptHome).find((f) => !known.has(f));
      // The file name starts with its write time (ms since the epoch × 1000), or it was already delivered: take "now".
      const writtenAt = file ? Number(file.slice(0, 16)) / 1000 : performance.timeOrigin + performance.now();
      for (;;) {
        if (await delivered(session, toolUseId)) return performance.timeOrigin + performance.now() - writtenAt;
        await sleep(5);
      }
    }
    await sleep(6_000); // Flushers from the series above have lingered out.
    const deliveryCold: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      while (liveFlusherPid(skilloptHome) !== undefined) await sleep(20);
      deliveryCold.push(await deliveryOnce(coldEnv));
    }
    const deliveryWarm: number[] = [];
    for (let i = 0; i < DELIVERY_RUNS; i++) {
      deliveryWarm.push(await deliveryOnce(baseEnv));
      await sleep(50); // A gap, as between real events; the flusher lingers through it.
    }

    // ---- 4. pi: the extension in pi's process, with vs without, once the flushers above are gone ----
    while (liveFlusherPid(skilloptHome) !== undefined) await sleep(50);
    const pi = PI_ROUNDS > 0 ? await benchPi() : undefined;
    // ---- 5. Gemini CLI, Copilot CLI and OpenCode, each with vs without ----
    const otherAgents = AGENT_ROUNDS > 0 ? await benchOtherAgents() : undefined;

    const summarize = (s: Record<Series, number[]>) => {
      const out = { bare: stats(s.bare), entryFloor: stats(s.entryFloor), noWindow: stats(s.noWindow), arming: stats(s.arming), reaction: stats(s.reaction) };
      const ratio = (k: Exclude<Series, 'bare'>) => ({
        median: Math.round((out[k].median / out.bare.median) * 1000) / 1000,
        p95: Math.round((out[k].p95 / out.bare.p95) * 1000) / 1000,
      });
      return {
        ms: out,
        ratioToBare: { entryFloor: ratio('entryFloor'), noWindow: ratio('noWindow'), arming: ratio('arming'), reaction: ratio('reaction') },
        /** What skillopt's own code adds above the floor (median ms). */
        overFloorMs: {
          noWindow: Math.round((out.noWindow.median - out.entryFloor.median) * 100) / 100,
          arming: Math.round((out.arming.median - out.entryFloor.median) * 100) / 100,
          reaction: Math.round((out.reaction.median - out.entryFloor.median) * 100) / 100,
        },
      };
    };
    const socket = summarize(series.socket);
    const fifo = summarize(series.fifo);
    const spoolOnlyStats = { arming: stats(spoolOnly.arming), reaction: stats(spoolOnly.reaction) };
    const spoolOnlyRatio = (k: 'arming' | 'reaction') => Math.round((spoolOnlyStats[k].median / socket.ms.bare.median) * 1000) / 1000;
    const codexStats = { bare: stats(codex.bare), shellCommand: stats(codex.shellCommand), arming: stats(codex.arming), reaction: stats(codex.reaction) };
    const codexRatio = (k: 'shellCommand' | 'arming' | 'reaction') => Math.round((codexStats[k].median / codexStats.bare.median) * 1000) / 1000;
    // This build against the baseline build, each with no flusher, run in pairs: ratios of medians (below 1: faster now),
    // and the per-iteration ratios (this build's run over the baseline's next to it) with their spread.
    const againstBaseline = BASELINE_HOOK
      ? (() => {
          const events = Object.keys(paired.now) as (keyof typeof paired.now)[];
          const each = <T>(f: (k: keyof typeof paired.now) => T) => Object.fromEntries(events.map((k) => [k, f(k)])) as Record<keyof typeof paired.now, T>;
          const ms = each((k) => stats(paired.baseline[k]));
          const nowMs = each((k) => stats(paired.now[k]));
          return {
            hook: BASELINE_HOOK,
            ms,
            nowMs,
            ratioToBaseline: each((k) => Math.round((nowMs[k].median / ms[k].median) * 1000) / 1000),
            pairedRatio: each((k) => spread(paired.now[k].map((now, j) => now / paired.baseline[k][j]!), 3)),
          };
        })()
      : undefined;
    const coldStats = { bare: stats(cold.bare), arming: stats(cold.arming) };
    const coldRatio = Math.round((coldStats.arming.median / coldStats.bare.median) * 1000) / 1000;
    const delivery = { cold: stats(deliveryCold), warm: stats(deliveryWarm) };
    const worst = (k: 'noWindow' | 'arming' | 'reaction') => Math.max(socket.ratioToBare[k].median, fifo.ratioToBare[k].median);
    const results = {
      date: new Date().toISOString(),
      machine: { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadavg() },
      method:
        'wall-clock ms from spawn to exit of `node dist/hook.cjs hook <Event>` vs `node -e 0`, interleaved; ratios are of medians (p95 ratios alongside). entryFloor: node loading an empty CommonJS file, i.e. the cost of any entry before any skillopt code. Delivery: event file write time (ms, from its name) until the state query shows the invocation.',
      runs: { hook: HOOK_RUNS, cold: COLD_RUNS, delivery: DELIVERY_RUNS },
      process: {
        socketStdin: socket,
        fifoStdin: fifo,
        /** Socket stdin, SKILLOPT_FLUSHER=0 in a separate home: the hook's own cost, no delivery running meanwhile (ratios to the socket bare median). */
        spoolOnlySocketStdin: { ms: spoolOnlyStats, ratioToBare: { arming: spoolOnlyRatio('arming'), reaction: spoolOnlyRatio('reaction') } },
        armingColdFlusherSpawn: { ms: coldStats, ratioToBare: { median: coldRatio } },
        /** `hook <Event> --agent codex`, socket stdin: PreToolUse for an ordinary shell command, for a read of the pulled SKILL.md (arming), and a reaction. */
        codexSocketStdin: { ms: codexStats, ratioToBare: { shellCommand: codexRatio('shellCommand'), arming: codexRatio('arming'), reaction: codexRatio('reaction') } },
        /** --baseline-hook's build and this one, socket stdin, spool only, run in alternating pairs: this build's medians over its, and the per-pair ratios. */
        ...(againstBaseline ? { againstBaseline } : {}),
      },
      deliveryMs: delivery,
      /** skillopt's pi extension, inside the real pi, with vs without (section 4 of this file's header). */
      ...(pi ? { pi } : {}),
      /** Gemini CLI, Copilot CLI, OpenCode: the real CLI with vs without skillopt's hooks or plugin (section 5). */
      ...(otherAgents ? { otherAgents } : {}),
      targets: TARGETS,
      meetsTargets: {
        noWindow: worst('noWindow') <= TARGETS.noWindowRatio,
        arming: worst('arming') <= TARGETS.armingRatio,
        armingCold: coldRatio <= TARGETS.armingRatio,
        reaction: worst('reaction') <= TARGETS.reactionRatio,
        codexShellCommand: codexRatio('shellCommand') <= TARGETS.noWindowRatio,
        codexArming: codexRatio('arming') <= TARGETS.armingRatio,
        codexReaction: codexRatio('reaction') <= TARGETS.reactionRatio,
        deliveryWarmP99: delivery.warm.p99 < TARGETS.deliveryP99Ms,
        deliveryColdP99: delivery.cold.p99 < TARGETS.deliveryP99Ms,
      },
    };
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'hooks.json'), `${JSON.stringify(results, null, 2)}\n`);

    const row = (name: string, s: Stats, ratio?: number) =>
      `${name.padEnd(34)} median ${s.median.toFixed(1).padStart(7)}  p95 ${s.p95.toFixed(1).padStart(7)}  p99 ${s.p99.toFixed(1).padStart(7)}${ratio === undefined ? '' : `  ×${ratio.toFixed(3)}`}`;
    for (const [kind, r] of [['socket', socket], ['fifo', fifo]] as const) {
      console.log(row(`bare node -e 0 (${kind} stdin)`, r.ms.bare));
      console.log(row(`entry floor (${kind})`, r.ms.entryFloor, r.ratioToBare.entryFloor.median));
      console.log(row(`UserPromptSubmit, no window (${kind})`, r.ms.noWindow, r.ratioToBare.noWindow.median));
      console.log(row(`PreToolUse arming (${kind})`, r.ms.arming, r.ratioToBare.arming.median));
      console.log(row(`UserPromptSubmit reaction (${kind})`, r.ms.reaction, r.ratioToBare.reaction.median));
    }
    console.log(row('PreToolUse arming, spool only', spoolOnlyStats.arming, spoolOnlyRatio('arming')));
    console.log(row('UserPromptSubmit reaction, spool only', spoolOnlyStats.reaction, spoolOnlyRatio('reaction')));
    console.log(row('bare node -e 0 (codex series)', codexStats.bare));
    console.log(row('Codex PreToolUse, ordinary command', codexStats.shellCommand, codexRatio('shellCommand')));
    console.log(row('Codex PreToolUse arming', codexStats.arming, codexRatio('arming')));
    console.log(row('Codex UserPromptSubmit reaction', codexStats.reaction, codexRatio('reaction')));
    console.log(row('bare node -e 0 (cold series)', coldStats.bare));
    console.log(row('PreToolUse arming, starts flusher', coldStats.arming, coldRatio));
    console.log(row('delivery, flusher started by hook', delivery.cold));
    console.log(row('delivery, flusher lingering', delivery.warm));
    if (againstBaseline) {
      console.log(`against the baseline hook ${againstBaseline.hook} (spool only, alternating pairs; × = this build / baseline):`);
      for (const [k, label] of [
        ['noWindow', 'UserPromptSubmit, no window'],
        ['arming', 'PreToolUse arming'],
        ['reaction', 'UserPromptSubmit reaction'],
        ['codexShellCommand', 'Codex PreToolUse, ordinary command'],
        ['codexArming', 'Codex PreToolUse arming'],
        ['codexReaction', 'Codex UserPromptSubmit reaction'],
      ] as const) {
        console.log(row(`baseline: ${label}`, againstBaseline.ms[k]));
        console.log(row(`this build: ${label}`, againstBaseline.nowMs[k], againstBaseline.ratioToBaseline[k]));
        console.log(`${''.padEnd(34)} paired ratio ${formatSpread(againstBaseline.pairedRatio[k], '×')}`);
      }
      console.log(`this build / baseline (medians): ${JSON.stringify(againstBaseline.ratioToBaseline)}`);
    }
    if (pi) {
      console.log(
        `pi ${pi.pi}: \`pi -p\` with skillopt's extension vs none, ${pi.rounds} rounds (+${pi.warmupRounds} warm-up), N=${pi.reads} reads, M=${pi.prompts} prompts; ` +
          'SKILLOPT_FLUSHER=0 SKILLOPT_AUTOPULL=0 SKILLOPT_ATTRIBUTION=0: in-process work only, no flusher or session-start job started',
      );
      const labels: Record<PiShape, string> = {
        hello: 'hello (1 prompt)',
        skillReads: `${pi.reads} reads of the pulled SKILL.md`,
        otherReads: `${pi.reads} reads of another file`,
        promptsOpen: `${pi.prompts} prompts, window open`,
        promptsIdle: `${pi.prompts} prompts, no window`,
      };
      for (const s of PI_SHAPES) {
        console.log(row(`pi run without: ${labels[s]}`, pi.wallMs[s].without));
        console.log(row(`pi run with: ${labels[s]}`, pi.wallMs[s].with, pi.wallRatio[s].median));
      }
      console.log(`${'pi whole-run wall, with / without'.padEnd(34)} ${formatSpread(pi.wallRatio.all, '×')}`);
      console.log(`${'pi start-up, hello run (ms)'.padEnd(34)} ${formatSpread(pi.startupMs.helloRun)}`);
      console.log(`${'pi start-up, to 1st request (ms)'.padEnd(34)} ${formatSpread(pi.startupMs.toFirstRequest)}`);
      for (const [k, label] of [
        ['toolResultArming', 'tool result, arming'],
        ['toolResultOther', 'tool result, other file'],
        ['promptReaction', 'prompt, reaction'],
        ['promptNoWindow', 'prompt, no window'],
      ] as const) {
        console.log(`${`pi per ${label} (ms, wall)`.padEnd(34)} ${formatSpread(pi.perEventMs[k])}`);
        console.log(`${`pi per ${label} (ms, req. gap)`.padEnd(34)} ${formatSpread(pi.perEventGapMs[k])}`);
      }
      if (pi.handlerMs) {
        for (const [k, label] of [
          ['sessionStart', 'session_start'],
          ['toolResultArming', 'tool_result, arming'],
          ['toolResultOther', 'tool_result, other file'],
          ['inputReaction', 'input, reaction'],
          ['inputNoWindow', 'input, no window'],
          ['sessionShutdown', 'session_shutdown'],
        ] as const) {
          const h = pi.handlerMs[k];
          console.log(`${`pi handler in-process: ${label}`.padEnd(34)} median ${h.median.toFixed(2).padStart(6)}  p95 ${h.p95.toFixed(2).padStart(6)}  mean ${h.mean.toFixed(2).padStart(6)}  n=${h.n}`);
        }
      }
    }
    if (otherAgents) {
      console.log(`Gemini CLI, Copilot CLI, OpenCode with skillopt vs without, ${AGENT_ROUNDS} rounds each (ms: median with / without / of the per-round differences):`);
      for (const [agent, { scenarios }] of Object.entries(otherAgents)) {
        for (const [scenario, ms] of Object.entries(scenarios)) {
          console.log(`${`${agent} ${scenario}`.padEnd(34)} ${ms.with.toFixed(1).padStart(8)} / ${ms.without.toFixed(1).padStart(8)} / ${ms.overhead >= 0 ? '+' : ''}${ms.overhead.toFixed(1)}`);
        }
      }
    }
    console.log(`targets met: ${JSON.stringify(results.meetsTargets)}`);
    console.log('wrote bench/results/hooks.json');
  } finally {
    worker.shutdown();
    await workerRun;
    await server.teardown();
    const pid = liveFlusherPid(skilloptHome);
    if (pid !== undefined) process.kill(pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
