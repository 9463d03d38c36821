// piCliModel against the real, pinned pi coding agent (node_modules/.bin/pi,
// npm @mariozechner/pi-coding-agent) and the scripted Responses API
// (test/fixtures/responses-server.ts), offline: a throwaway pi agent dir whose
// models.json names the stub as an `openai-responses` provider, so the
// backend's own flags are what is tested. The agent dir and the working folder
// hold an extension, skills, context files, an APPEND_SYSTEM.md and a prompt
// template, which a plain `pi -p` loads (the control) and the backend must not.
// A wrapper script in front of the binary records the argv and the recursion
// guard the child got. See docs/pi.md.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelFromEnv } from '../../agents/model-backend';
import { piCliCall, piCliModel, piErrorDetail, piSystemPromptText, resolvePiCliSettings } from '../../agents/pi/backend';
import { ModelConfigError, type ModelRequest } from '../../agents/types';
import { match, startResponsesServer, writePiHome, type PiHome, type ResponsesServer } from '../fixtures/responses-server';
import { failure } from './helpers';

const PI_BIN = resolve('node_modules/.bin/pi');
const SYSTEM = 'You are a strict grader.\nReply with JSON only: {"success":0|1,"confidence":0..1,"reason":"…"} "quoted" \\ back\tslash ✓';
const JUDGE: ModelRequest = { role: 'judge', system: SYSTEM, user: 'TRANSCRIPT:\nUSER: deploy\nASSISTANT: Deployed.\n\nDid it work?' };
const VERDICT = '{"success":0,"confidence":0.9,"reason":"skipped the tests"}';
/** pi's built-in tools and the ones the planted extensions register: none may be offered to the judge. */
const ACTING_TOOLS = ['read', 'bash', 'edit', 'write', 'grep', 'find', 'ls', 'spy_tool', 'project_spy_tool'];
const SKILL = 'deploy-checklist--alice';

let dir: string;
let server: ResponsesServer;
let pi: PiHome;
let env: NodeJS.ProcessEnv;
/** A project folder with its own AGENTS.md, .pi/ and .agents/ resources. */
let work: string;
/** Written by the planted extension when pi loads it. */
let extensionMarker: string;
/** A script that records its argv and SKILLOPT_INTERNAL, then runs the real pi. */
let wrapper: string;
let wrapperLog: string;

function writeSkill(root: string, name: string, description: string): void {
  mkdirSync(join(root, name), { recursive: true });
  writeFileSync(join(root, name, 'SKILL.md'), `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n\nRun the tests first.\n`);
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pi-backend-'));
  server = await startResponsesServer();
  pi = writePiHome(dir, { url: server.url, models: ['pi-judge', 'pi-proposer'] });
  work = join(dir, 'work');
  mkdirSync(work);

  // What a plain pi loads: an extension (user and project), skills (every root), context files, prompt templates.
  extensionMarker = join(dir, 'extension-loaded');
  // Each registers its own tool: two extensions registering one tool name stop pi at startup.
  const extension = (tool: string) => `import { appendFileSync } from 'node:fs';
export default function (pi) {
  appendFileSync(${JSON.stringify(extensionMarker)}, '${tool}\\n');
  pi.registerTool({
    name: '${tool}', label: 'Spy', description: 'spy', parameters: { type: 'object', properties: {} },
    execute: async () => ({ content: [{ type: 'text', text: 'spied' }], details: {} }),
  });
}
`;
  for (const [extensions, tool] of [[join(pi.agentDir, 'extensions'), 'spy_tool'], [join(work, '.pi', 'extensions'), 'project_spy_tool']] as const) {
    mkdirSync(extensions, { recursive: true });
    writeFileSync(join(extensions, 'spy.ts'), extension(tool));
  }
  writeSkill(join(pi.agentDir, 'skills'), SKILL, 'SKILLMARKER checklist for deploying.');
  writeSkill(join(pi.userHome, '.agents', 'skills'), 'home-agents-skill', 'SKILLMARKER from ~/.agents/skills.');
  writeSkill(join(work, '.pi', 'skills'), 'project-pi-skill', 'SKILLMARKER from .pi/skills.');
  writeSkill(join(work, '.agents', 'skills'), 'project-agents-skill', 'SKILLMARKER from .agents/skills.');
  writeFileSync(join(pi.agentDir, 'AGENTS.md'), 'AGENTSMARKER global context\n');
  writeFileSync(join(work, 'AGENTS.md'), 'AGENTSMARKER project context\n');
  writeFileSync(join(pi.agentDir, 'APPEND_SYSTEM.md'), 'APPENDMARKER\n');
  mkdirSync(join(pi.agentDir, 'prompts'));
  writeFileSync(join(pi.agentDir, 'prompts', 'grade.md'), 'TEMPLATEMARKER $@\n');

  wrapperLog = join(dir, 'wrapper.log');
  wrapper = join(dir, 'pi-wrapper');
  writeFileSync(wrapper, `#!/bin/sh\n{ printf 'internal=%s\\n' "$SKILLOPT_INTERNAL"; for a in "$@"; do printf 'arg=%s\\n' "$a" | tr '\\n' ' '; echo; done; } >> '${wrapperLog}'\nexec '${PI_BIN}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  env = { ...process.env, ...pi.env, SKILLOPT_PI_BIN: wrapper };
  for (const name of ['SKILLOPT_JUDGE_MODEL', 'SKILLOPT_PROPOSER_MODEL', 'SKILLOPT_MODEL_TIMEOUT_MS', 'SKILLOPT_INTERNAL', 'SKILLOPT_MODEL_BACKEND']) delete env[name];
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function wrapperArgs(): string[] {
  return readFileSync(wrapperLog, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('arg='))
    .map((line) => line.slice('arg='.length).replace(/ $/, ''));
}

describe('piCliModel with the real pi CLI', () => {
  it('returns the reply, sends the system text as the system prompt and the user text as the prompt, with no tools, extensions, skills, context or session', async () => {
    server.addRule({ name: 'judge', match: match.lastUserIncludes('Did it work?'), reply: { text: VERDICT } });
    // A prompt that starts like a skill command and names a template: sent as typed, never expanded.
    const user = `/skill:${SKILL} /grade\n${JUDGE.user}`;
    await expect(piCliModel({ env, cwd: work })({ ...JUDGE, user })).resolves.toBe(VERDICT);

    const [request, ...more] = server.responseRequests();
    expect(more).toEqual([]);
    const seen = request!.responses!;
    // The system prompt is ours, then pi's date and working-directory lines; nothing else of pi's.
    expect(seen.developer.startsWith(`${SYSTEM}\nCurrent date: `)).toBe(true);
    expect(seen.developer).toContain(`Current working directory: ${work}`);
    for (const marker of ['AGENTSMARKER', 'APPENDMARKER', 'SKILLMARKER', 'available_skills', 'coding assistant']) expect(seen.developer).not.toContain(marker);
    expect(seen.lastUserBlocks).toEqual([user]);
    expect(seen.allText).not.toContain('TEMPLATEMARKER');
    // No tool at all: the request has no `tools`.
    expect(seen.tools).toEqual([]);
    expect('tools' in seen.body).toBe(false);
    for (const tool of ACTING_TOOLS) expect(seen.tools).not.toContain(tool);
    // The default model (settings.json), no --model.
    expect(seen.model).toBe('scripted');
    expect(wrapperArgs()).not.toContain('--model');

    const args = wrapperArgs();
    expect(args.join(' ')).toContain('-p --offline --no-session --no-tools --no-extensions --no-skills --no-prompt-templates --no-themes --no-context-files --system-prompt');
    // The prompts are not in argv: untrusted text never becomes an argument; the system prompt file is gone.
    expect(args.some((arg) => arg.includes('Did it work?') || arg.includes('strict grader'))).toBe(false);
    expect(existsSync(args[args.indexOf('--system-prompt') + 1]!)).toBe(false);
    expect(readFileSync(wrapperLog, 'utf8')).toContain('internal=1\n');
    expect(existsSync(extensionMarker)).toBe(false);
    expect(existsSync(pi.sessionsDir)).toBe(false);
  });

  it('loads that extension, those skills and context files and saves a session in a plain pi -p (the control for the test above)', async () => {
    server.addRule({ name: 'any', match: match.always, reply: { text: 'ok' } });
    // stdin closed: `pi -p` reads a piped stdin to its end before it starts.
    const run = await execa(PI_BIN, ['-p', 'hello'], { cwd: work, env: { ...process.env, ...pi.env }, stdin: 'ignore', timeout: 60_000, reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('ok');
    const seen = server.responseRequests()[0]!.responses!;
    expect(seen.tools).toEqual(expect.arrayContaining(['read', 'bash', 'edit', 'write', 'spy_tool', 'project_spy_tool']));
    for (const name of [SKILL, 'home-agents-skill', 'project-pi-skill', 'project-agents-skill']) expect(seen.developer).toContain(`<name>${name}</name>`);
    expect(seen.developer).toContain(`<location>${join(pi.agentDir, 'skills', SKILL, 'SKILL.md')}</location>`);
    expect(seen.developer).toContain('AGENTSMARKER project context');
    expect(seen.developer).toContain('APPENDMARKER');
    // The project's extension loads first, then the user's.
    expect(readFileSync(extensionMarker, 'utf8')).toBe('project_spy_tool\nspy_tool\n');
    expect(existsSync(pi.sessionsDir)).toBe(true);
  });

  it('passes --model for SKILLOPT_JUDGE_MODEL and SKILLOPT_PROPOSER_MODEL, and is what SKILLOPT_MODEL_BACKEND=pi selects', async () => {
    server.addRule({ name: 'any', match: match.always, reply: { text: '[]' } });
    const model = modelFromEnv({ ...env, SKILLOPT_MODEL_BACKEND: 'Pi', SKILLOPT_JUDGE_MODEL: 'pi-judge', SKILLOPT_PROPOSER_MODEL: 'pi-stub/pi-proposer' });
    await expect(model(JUDGE)).resolves.toBe('[]');
    await expect(model({ role: 'proposer', system: 'Propose edits.', user: 'CURRENT SKILL:\n# Deploy\n' })).resolves.toBe('[]');
    expect(server.responseRequests().map((r) => r.responses!.model)).toEqual(['pi-judge', 'pi-proposer']);
  });

  it('carries a system prompt and a user prompt beyond the per-argument limit (128 KiB), with no compaction after the reply', async () => {
    const system = `${'grading rule\n'.repeat(16_000)}Reply with JSON.`; // 208 kB
    const user = `${'transcript line\n'.repeat(20_000)}Did it work?`; // 320 kB
    server.addRule({ name: 'judge', match: match.lastUserIncludes('Did it work?'), reply: { text: VERDICT } });
    await expect(piCliModel({ env })({ role: 'judge', system, user })).resolves.toBe(VERDICT);
    const seen = server.responseRequests()[0]!.responses!;
    expect(seen.developer.startsWith(`${system}\nCurrent date: `)).toBe(true);
    expect(seen.lastUserBlocks).toEqual([user]);
    // The stub reports ~141k input tokens, past the 128k context window pi assumes for the model: with
    // auto-compaction on, pi would send a second request (a summary) and print nothing.
    expect(server.responseRequests()).toHaveLength(1);
  });

  describe('failures', () => {
    it('names a missing binary and how to point at it', async () => {
      const message = await failure(piCliModel({ env: { ...env, SKILLOPT_PI_BIN: '/nonexistent/bin/pi' } })(JUDGE));
      expect(message).toBe(
        'pi binary not found: "/nonexistent/bin/pi"; install the pi coding agent (npm i -g @mariozechner/pi-coding-agent) or set SKILLOPT_PI_BIN to its path',
      );
    });

    it('reports a model pi does not know as one line, without calling the server', async () => {
      const message = await failure(piCliModel({ env: { ...env, SKILLOPT_JUDGE_MODEL: 'no-such-model' } })(JUDGE));
      expect(message).toBe('pi exit 1: Model "no-such-model" not found. Use --list-models to see available models.');
      expect(server.responseRequests()).toEqual([]);
    });

    it("reports the model failing as one line with pi's error", async () => {
      server.addRule({ name: 'fail', match: match.always, reply: { fail: { code: 'server_error', message: 'the model is overloaded' } } });
      expect(await failure(piCliModel({ env })(JUDGE))).toBe('pi exit 1: server_error: the model is overloaded');
    });

    it('rejects an empty reply', async () => {
      server.addRule({ name: 'empty', match: match.always, reply: { text: '' } });
      expect(await failure(piCliModel({ env })(JUDGE))).toBe('pi returned empty output (exit 0): misconfigured model?');
    });
  });
});

describe('piCliCall and settings', () => {
  it('builds the argv: everything off, the system prompt by file, --model only when set, the prompt on stdin', () => {
    expect(piCliCall('/tmp/x/system-prompt.md', 'the transcript', 'openai/gpt-5')).toEqual({
      args: [
        '-p', '--offline', '--no-session', '--no-tools', '--no-extensions', '--no-skills', '--no-prompt-templates', '--no-themes',
        '--no-context-files', '--system-prompt', '/tmp/x/system-prompt.md', '--append-system-prompt', '', '--model', 'openai/gpt-5',
      ],
      input: 'the transcript',
    });
    expect(piCliCall('/s', 'u', undefined).args).not.toContain('--model');
  });

  it('sends an empty system prompt as a space (pi reads an empty one as "use my own")', () => {
    expect(piSystemPromptText('')).toBe(' ');
    expect(piSystemPromptText('be strict')).toBe('be strict');
  });

  it("keeps pi's error lines, without warnings and colour", () => {
    expect(piErrorDetail('\u001b[31mError: Model "x" not found. Use --list-models to see available models.\u001b[39m\n')).toBe(
      'Model "x" not found. Use --list-models to see available models.',
    );
    expect(piErrorDetail('Warning: (startup session lookup, user settings) bad json\nserver_error: overloaded\n')).toBe('server_error: overloaded');
    expect(piErrorDetail('No API key found for openai.\n\nUse /login to log into a provider via OAuth or API key. See:\n  /x/docs/providers.md\n')).toBe(
      'No API key found for openai.',
    );
    expect(piErrorDetail('', 'from stdout')).toBe('from stdout');
  });

  it('reads settings from the environment, with no default model', () => {
    expect(resolvePiCliSettings({ env: {} })).toEqual({ bin: 'pi', models: { judge: undefined, proposer: undefined }, timeoutMs: 120_000 });
    expect(resolvePiCliSettings({ env: { SKILLOPT_PI_BIN: '/opt/pi', SKILLOPT_JUDGE_MODEL: ' ', SKILLOPT_PROPOSER_MODEL: 'anthropic/claude-sonnet-4-5', SKILLOPT_MODEL_TIMEOUT_MS: '5000' } })).toEqual({
      bin: '/opt/pi',
      models: { judge: undefined, proposer: 'anthropic/claude-sonnet-4-5' },
      timeoutMs: 5000,
    });
    expect(resolvePiCliSettings({ env: { SKILLOPT_JUDGE_MODEL: 'from-env' }, judgeModel: 'from-option', bin: 'x' }).models.judge).toBe('from-option');
    expect(() => piCliModel({ env: { SKILLOPT_MODEL_TIMEOUT_MS: '2m' } })).toThrow(ModelConfigError);
  });
});
