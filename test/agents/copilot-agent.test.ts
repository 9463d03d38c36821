// Copilot CLI as the hooks see it (agents/copilot/agent.ts) and its session log
// as the judge reads it (agents/copilot/transcript.ts): real folders in a
// temporary home; the payloads and log records are shaped as the pinned CLI
// sent and wrote them (docs/copilot-cli.md §2, §3).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPlace, PulledSkills } from '../../agents/agent';
import { copilotAgent, copilotHookPayload } from '../../agents/copilot/agent';
import { copilotTranscript } from '../../agents/copilot/transcript';
import { agentTranscriptRoots } from '../../agents/registry';
import { TRANSCRIPT_FORMATS } from '../../agents/transcripts';
import { emptyManifest, upsertEntry, type Manifest } from '../../core/manifest';
import { buildJudgeWindow } from '../../core/transcript';

const REF = 'deploy--alice';
const SID = 'b9841d6d-780b-4449-9b98-e35ead3a9eef';
let dir: string;
let place: AgentPlace;
let manifest: Manifest;

function pulled(root: string, dirName = REF): void {
  mkdirSync(join(root, dirName), { recursive: true });
  writeFileSync(join(root, dirName, 'SKILL.md'), `---\nname: ${dirName}\ndescription: d\n---\nbody\n`);
  manifest = upsertEntry(manifest, { dirName, name: dirName.split('--')[0]!, author: dirName.split('--')[1]!, version: 1, scope: 'user', root, pulledAt: '' });
}

const skills = (): PulledSkills => ({ manifest: () => manifest, place });
const personal = () => join(place.home, '.copilot', 'skills');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-copilot-agent-'));
  const home = join(dir, 'home');
  const cwd = join(dir, 'work', 'project');
  mkdirSync(join(dir, 'work', '.git'), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  place = { home, cwd, env: { HOME: home } };
  manifest = emptyManifest();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Copilot CLI: where it loads skills from', () => {
  it('the project (.github, .agents, .claude; then at the git root), then ~/.copilot/skills, then ~/.agents/skills', () => {
    const project = (d: string) => [join(d, '.github', 'skills'), join(d, '.agents', 'skills'), join(d, '.claude', 'skills')];
    expect(copilotAgent.skillRoots(place)).toEqual([...project(place.cwd), ...project(join(dir, 'work')), personal(), join(place.home, '.agents', 'skills')]);
    expect(copilotAgent.installRoots(place)).toEqual({ user: personal(), project: join(place.cwd, '.github', 'skills') });
  });

  it('a COPILOT_HOME elsewhere hides ~/.agents/skills; COPILOT_SKILLS_DIRS adds folders', () => {
    const env = { HOME: place.home, COPILOT_HOME: '~/cp', COPILOT_SKILLS_DIRS: `${join(dir, 'a')},~/b` };
    const roots = copilotAgent.skillRoots({ ...place, env });
    expect(roots.slice(-3)).toEqual([join(place.home, 'cp', 'skills'), join(dir, 'a'), join(place.home, 'b')]);
    expect(roots).not.toContain(join(place.home, '.agents', 'skills'));
    // Named as written, ~/.copilot still reads ~/.agents/skills.
    expect(copilotAgent.skillRoots({ ...place, env: { HOME: place.home, COPILOT_HOME: join(place.home, '.copilot') } })).toContain(join(place.home, '.agents', 'skills'));
  });

  it('the judge may read the session logs under <COPILOT_HOME>/session-state', () => {
    expect(copilotAgent.transcriptFolder({ HOME: place.home }, place.cwd)).toBe(join(place.home, '.copilot', 'session-state'));
    expect(agentTranscriptRoots({ HOME: place.home, COPILOT_HOME: '/x/cp' }, place.cwd)).toContain('/x/cp/session-state');
  });
});

describe("Copilot CLI: its hooks' JSON as the hooks' payload", () => {
  const env = () => ({ HOME: place.home });

  it('a postToolUse of the skill tool: the tool, its arguments, the session log, pinned by its timestamp', () => {
    const payload = copilotHookPayload(
      { sessionId: SID, timestamp: 1796682619360, cwd: place.cwd, toolName: 'skill', toolArgs: { skill: REF }, toolResult: { resultType: 'success', textResultForLlm: 'loaded' } },
      env(),
    );
    expect(payload).toEqual({
      session_id: SID,
      cwd: place.cwd,
      transcript_path: join(place.home, '.copilot', 'session-state', SID, 'events.jsonl'),
      tool_name: 'skill',
      tool_input: { skill: REF },
      tool_use_id: 'postToolUse@1796682619360',
    });
  });

  it('sessionStart (new → startup, resume), userPromptSubmitted (named by its timestamp), sessionEnd', () => {
    expect(copilotHookPayload({ sessionId: SID, timestamp: 1, cwd: place.cwd, source: 'new', initialPrompt: 'hi' }, env())).toMatchObject({ source: 'startup' });
    expect(copilotHookPayload({ sessionId: SID, timestamp: 1, cwd: place.cwd, source: 'resume' }, env())).toMatchObject({ source: 'resume' });
    expect(copilotHookPayload({ sessionId: SID, timestamp: 7, cwd: place.cwd, prompt: 'that was wrong' }, env())).toMatchObject({ prompt: 'that was wrong', prompt_id: 'userPromptSubmitted@7' });
    expect(copilotHookPayload({ sessionId: SID, timestamp: 9, cwd: place.cwd, reason: 'complete' }, env())).toMatchObject({ reason: 'complete', session_id: SID });
    expect(copilotHookPayload('not an object', env())).toBeUndefined();
    expect(copilotHookPayload([], env())).toBeUndefined();
  });

  it('a /<skill> the user typed arrives expanded: the prompt is what they typed, and it names the skill', () => {
    const expanded = `The user explicitly invoked the "/${REF}" skill. Follow its instructions now.\n\n<skill-context name="${REF}">\nBase directory for this skill: /x\n\n# Deploy\n\nARGUMENTS: go now\n</skill-context>`;
    expect(copilotHookPayload({ sessionId: SID, timestamp: 5, cwd: place.cwd, prompt: expanded }, env())).toMatchObject({ prompt: `/${REF} go now`, command_name: REF, prompt_id: 'userPromptSubmitted@5' });
  });
});

describe('Copilot CLI: a skill use', () => {
  it('arms on the skill tool naming a pulled skill Copilot loads; not a local one of that name, nor another tool', () => {
    pulled(personal());
    expect(copilotAgent.skillCall({ tool_name: 'skill', tool_input: { skill: REF } }, skills())).toMatchObject({ ref: { name: 'deploy', author: 'alice' }, install: { root: personal() } });
    expect(copilotAgent.skillCall({ tool_name: 'view', tool_input: { path: join(personal(), REF, 'SKILL.md') } }, skills())).toBe('not-skill-tool');
    expect(copilotAgent.skillCall({ tool_name: 'skill', tool_input: { skill: 'notes--bob' } }, skills())).toBe('not-org-skill');
    // A project skill of the same name wins over the personal one pull installed.
    mkdirSync(join(place.cwd, '.github', 'skills', REF), { recursive: true });
    expect(copilotAgent.skillCall({ tool_name: 'skill', tool_input: { skill: REF } }, skills())).toBe('not-org-skill');
  });

  it('a typed /<name>--<author> invokes the pulled skill, named by the prompt', () => {
    pulled(personal());
    expect(copilotAgent.promptInvocation({ prompt: `/${REF}`, command_name: REF, prompt_id: 'userPromptSubmitted@5' }, skills())).toMatchObject({ ref: { name: 'deploy' }, id: 'userPromptSubmitted@5' });
    expect(copilotAgent.promptInvocation({ prompt: `/${REF}`, prompt_id: 'p' }, skills())).toBeUndefined();
    expect(copilotAgent.promptInvocation({ prompt: '/notes--bob', command_name: 'notes--bob', prompt_id: 'p' }, skills())).toBeUndefined();
  });
});

/** Log records as Copilot 1.0.102 wrote them for `-p "deploy the service"` with one skill call, then a resumed pushback. */
function sessionLog(): string {
  let n = 0;
  const record = (type: string, data: Record<string, unknown>) => JSON.stringify({ type, data, id: `e${++n}`, timestamp: '2026-12-07T22:30:18.659Z', parentId: n === 1 ? null : `e${n - 1}` });
  const skillCall = (callId: string, stamp: number) => [
    record('assistant.message', { content: "I'll follow the deploy checklist.", toolRequests: [{ toolCallId: callId, name: 'skill', arguments: { skill: REF }, type: 'function' }] }),
    record('tool.execution_start', { toolCallId: callId, toolName: 'skill', arguments: { skill: REF } }),
    record('hook.start', { hookInvocationId: 'h', hookType: 'postToolUse', input: { sessionId: SID, timestamp: stamp, cwd: '/p', toolName: 'skill', toolArgs: { skill: REF }, toolResult: { resultType: 'success' } } }),
    record('hook.end', { hookInvocationId: 'h', hookType: 'postToolUse', success: true }),
    record('tool.execution_complete', { toolCallId: callId, success: true, result: { content: 'Skill loaded' } }),
    record('skill.invoked', { name: REF, path: `/h/.copilot/skills/${REF}/SKILL.md`, content: '# Deploy', trigger: 'agent-invoked' }),
  ];
  return [
    record('session.start', { sessionId: SID, copilotVersion: '1.0.102', context: { cwd: '/p' } }),
    record('hook.start', { hookInvocationId: 'h0', hookType: 'userPromptSubmitted', input: { sessionId: SID, prompt: 'deploy the service', timestamp: 1 } }),
    record('user.message', { content: 'deploy the service', transformedContent: '<current_datetime>x</current_datetime>\n\ndeploy the service' }),
    record('system.message', { role: 'system', content: 'You are the GitHub Copilot CLI' }),
    ...skillCall('call_first', 1000),
    record('assistant.message', { content: 'Deployed.', toolRequests: [] }),
    record('user.message', { content: 'and the other one', transformedContent: 'x' }),
    ...skillCall('call_second', 2000),
    record('assistant.message', { content: '', toolRequests: [{ toolCallId: 'call_bash', name: 'bash', arguments: { command: 'npm run deploy' } }] }),
    record('tool.execution_start', { toolCallId: 'call_bash', toolName: 'bash', arguments: { command: 'npm run deploy' } }),
    record('tool.execution_complete', { toolCallId: 'call_bash', success: false, error: { message: 'permission denied', code: 'failure' } }),
    record('assistant.message', { content: 'Deployed again.', toolRequests: [] }),
    record('session.shutdown', {}),
    '{"type":"user.mess',
  ].join('\n');
}

describe("Copilot CLI's session log, as the judge reads it", () => {
  const window = (toolUseId: string | undefined) => buildJudgeWindow({ transcriptText: sessionLog(), toolUseId, skillRef: REF, reaction: 'that was wrong' }, TRANSCRIPT_FORMATS, { before: 2, after: 1 });

  it('the invocation the hook pinned by its postToolUse timestamp, its turns around it, and the reaction', () => {
    const first = window('postToolUse@1000');
    expect(first.invocationFound).toBe(true);
    expect(first.window).toBe(['USER: deploy the service', "ASSISTANT: I'll follow the deploy checklist.", `ASSISTANT [tool Skill]: ${REF}`, 'ASSISTANT: Deployed.', 'USER: that was wrong'].join('\n\n'));
    // The second call of the same skill is another invocation; a failed call is shown as failed.
    const second = window('postToolUse@2000');
    expect(second.window).toContain('USER: and the other one');
    expect(second.window).not.toContain('USER: deploy the service');
    expect(buildJudgeWindow({ transcriptText: sessionLog(), toolUseId: 'postToolUse@2000', skillRef: REF, reaction: 'x' }, TRANSCRIPT_FORMATS).window).toContain('TOOL ERROR [bash]: permission denied');
  });

  it('without the pin, the last skill call for the skill; hook, system and session records are not turns', () => {
    const last = window(undefined);
    expect(last.invocationFound).toBe(true);
    expect(last.window).toContain('USER: and the other one');
    expect(buildJudgeWindow({ transcriptText: sessionLog(), skillRef: REF, reaction: '' }, TRANSCRIPT_FORMATS).window).not.toMatch(/GitHub Copilot CLI|hook|session/);
  });

  it('a /<skill> the user typed, expanded by Copilot, is the invocation; only its own records are read as Copilot’s', () => {
    const typed = JSON.stringify({ type: 'user.message', data: { content: `/${REF} go now`, transformedContent: `The user explicitly invoked the "/${REF}" skill.\n\n<skill-context name="${REF}">…</skill-context>` }, id: 'u', timestamp: 't', parentId: null });
    const result = buildJudgeWindow({ transcriptText: typed, skillRef: REF, reaction: 'wrong' }, TRANSCRIPT_FORMATS);
    expect(result).toMatchObject({ invocationFound: true, window: `USER [tool Skill]: ${REF} go now\n\nUSER: wrong` });
    expect(copilotTranscript.recognizes({ type: 'user', message: { role: 'user', content: 'x' } })).toBe(false);
    expect(copilotTranscript.recognizes({ type: 'session_meta', payload: {} })).toBe(false);
  });
});
