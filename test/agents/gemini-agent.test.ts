// Gemini CLI as the hooks and the judge see it (agents/gemini/agent.ts,
// agents/gemini/transcript.ts): where it loads skills from, which
// activate_skill call is an org skill's, the ids its hook payloads lack, and
// its session JSONL read as the judge reads it. The transcripts are real ones
// the pinned CLI wrote against the scripted Gemini server: one copied by an
// AfterTool hook as it ran, the same session after `gemini -r latest` pushed back.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPlace, PulledSkills } from '../../agents/agent';
import { geminiAgent, geminiHookPayload, lastModelMessageId } from '../../agents/gemini/agent';
import { replayGemini } from '../../agents/gemini/transcript';
import { agentTranscriptRoots, agentsReading } from '../../agents/registry';
import { TRANSCRIPT_FORMATS } from '../../agents/transcripts';
import { emptyManifest, upsertEntry, type Manifest } from '../../core/manifest';
import { buildJudgeWindow, parseTranscript } from '../../core/transcript';

const REF = 'deploy-checklist--alice';
const AT_AFTER_TOOL = resolve('test/fixtures/transcripts/gemini-session-at-aftertool.jsonl');
const RESUMED = resolve('test/fixtures/transcripts/gemini-session-resumed.jsonl');
/** Another session resumed within the minute it began: Gemini appended its "new" file's records to the same file. */
const RESUMED_SAME_MINUTE = resolve('test/fixtures/transcripts/gemini-session-resumed-same-minute.jsonl');
/** The model message that called activate_skill in those sessions. */
const CALLING_MESSAGE = 'a1bbd5d9-fab5-4364-9c24-284e7c172dae';

let dir: string;
let place: AgentPlace;
let manifest: Manifest;

function pulled(root: string, dirName = REF): void {
  mkdirSync(join(root, dirName), { recursive: true });
  writeFileSync(join(root, dirName, 'SKILL.md'), `---\nname: ${dirName}\ndescription: d\n---\nbody\n`);
  manifest = upsertEntry(manifest, { dirName, name: dirName.split('--')[0]!, author: dirName.split('--')[1]!, version: 1, scope: 'user', root, pulledAt: '' });
}
const skills = (): PulledSkills => ({ manifest: () => manifest, place });
const activate = (name: string) => geminiAgent.skillCall({ tool_name: 'activate_skill', tool_input: { name } }, skills());

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-gemini-agent-'));
  const home = join(dir, 'home');
  const cwd = join(dir, 'project');
  mkdirSync(cwd, { recursive: true });
  place = { home, cwd, env: { HOME: home } };
  manifest = emptyManifest();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('gemini: where it loads skills from', () => {
  it('the workspace’s .agents then .gemini skills win over the user’s; GEMINI_CLI_HOME moves the user’s and the transcripts', () => {
    expect(geminiAgent.skillRoots(place)).toEqual([
      join(place.cwd, '.agents', 'skills'),
      join(place.cwd, '.gemini', 'skills'),
      join(place.home, '.agents', 'skills'),
      join(place.home, '.gemini', 'skills'),
    ]);
    expect(geminiAgent.installRoots(place)).toEqual({ user: join(place.home, '.gemini', 'skills'), project: join(place.cwd, '.gemini', 'skills') });
    const moved = { ...place, env: { HOME: place.home, GEMINI_CLI_HOME: '~/g' } };
    expect(geminiAgent.installRoots(moved).user).toBe(join(place.home, 'g', '.gemini', 'skills'));
    expect(agentTranscriptRoots({ HOME: place.home, GEMINI_CLI_HOME: join(dir, 'g') }, place.cwd)).toContain(join(dir, 'g', '.gemini', 'tmp'));
    // The agents' shared folder is one of Gemini's.
    expect(agentsReading(join(place.home, '.agents', 'skills'), place)).toContain('gemini');
  });
});

describe('gemini: an activate_skill call', () => {
  it('arms for a skill pull installed in the folder Gemini loads it from, never for a local one or another tool', () => {
    pulled(join(place.home, '.gemini', 'skills'));
    expect(activate(REF)).toMatchObject({ ref: { name: 'deploy-checklist', author: 'alice' } });
    // The same name in the workspace (loaded last by Gemini, so the one it uses) is the user's own: not the org skill.
    mkdirSync(join(place.cwd, '.gemini', 'skills', REF), { recursive: true });
    expect(activate(REF)).toBe('not-org-skill');
    rmSync(join(place.cwd, '.gemini'), { recursive: true });
    // A local skill, and a name that is no `<name>--<author>`.
    mkdirSync(join(place.home, '.gemini', 'skills', 'notes--bob'), { recursive: true });
    expect(activate('notes--bob')).toBe('not-org-skill');
    expect(activate('notes')).toBe('not-org-skill');
    expect(geminiAgent.skillCall({ tool_name: 'read_file', tool_input: { file_path: join(place.home, '.gemini', 'skills', REF, 'SKILL.md') } }, skills())).toBe('not-skill-tool');
    expect(geminiAgent.promptInvocation({ prompt: `/${REF}` }, skills())).toBeUndefined();
  });
});

describe('gemini: the ids its hooks do not send', () => {
  it('AfterTool: the skill use is named by the model message on disk then, which the judge finds in the finished transcript', () => {
    const transcript = join(dir, 'session.jsonl');
    copyFileSync(AT_AFTER_TOOL, transcript);
    expect(lastModelMessageId(transcript)).toBe(CALLING_MESSAGE);
    const payload = geminiHookPayload({ hook_event_name: 'AfterTool', session_id: 's1', transcript_path: transcript, tool_name: 'activate_skill', tool_input: { name: REF }, tool_response: { llmContent: '<activated_skill …>' } });
    expect(payload).toMatchObject({ session_id: 's1', tool_use_id: `${CALLING_MESSAGE}:${REF}`, tool_input: { name: REF } });
    // The finished session (resumed and rewritten since): the same id names the activate_skill call.
    const window = buildJudgeWindow({ transcriptText: readFileSync(RESUMED, 'utf8'), toolUseId: payload!.tool_use_id, skillRef: REF, reaction: 'that was wrong, you skipped the tests' }, TRANSCRIPT_FORMATS);
    expect(window.invocationFound).toBe(true);
  });

  it('AfterTool of a skill that did not load carries no skill; no transcript, no id (the hook then names the use itself)', () => {
    const failed = geminiHookPayload({ hook_event_name: 'AfterTool', session_id: 's1', tool_name: 'activate_skill', tool_input: { name: REF }, tool_response: { error: 'Skill "x" not found.' } });
    expect(failed?.tool_input).toBeUndefined();
    expect(geminiHookPayload({ hook_event_name: 'AfterTool', session_id: 's1', transcript_path: join(dir, 'none.jsonl'), tool_name: 'activate_skill', tool_input: { name: REF } })?.tool_use_id).toBeUndefined();
    expect(geminiHookPayload('not an object')).toBeUndefined();
  });

  it('BeforeAgent: a prompt is named by the transcript’s size, the same for every copy of the hook, new for the next prompt', () => {
    const transcript = join(dir, 'session.jsonl');
    copyFileSync(AT_AFTER_TOOL, transcript);
    const before = { hook_event_name: 'BeforeAgent', session_id: 's1', transcript_path: transcript, prompt: 'that was wrong' };
    const first = geminiHookPayload(before)!;
    expect(first.prompt_id).toBe(`s1@${readFileSync(transcript).length}`);
    expect(geminiHookPayload(before)!.prompt_id).toBe(first.prompt_id);
    expect(geminiAgent.reactionOffset(first)).toBe(readFileSync(transcript).length);
    writeFileSync(transcript, '{"id":"u2","type":"user","content":[{"text":"that was wrong"}]}\n', { flag: 'a' });
    expect(geminiHookPayload(before)!.prompt_id).not.toBe(first.prompt_id);
  });
});

describe('gemini: its session JSONL as the judge reads it', () => {
  it('replays replace-by-id records and a resume’s rewrite: each message once, in order', () => {
    const messages = replayGemini(parseTranscript(readFileSync(RESUMED, 'utf8')));
    const ids = messages.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(messages.find((m) => m.id === CALLING_MESSAGE)?.toolCalls).toBeDefined();
    expect(messages.at(-1)).toMatchObject({ type: 'gemini', content: 'Could not run it.' });
    expect(replayGemini([...parseTranscript(readFileSync(RESUMED, 'utf8')), { $rewindTo: CALLING_MESSAGE }]).map((m) => m.id)).not.toContain(CALLING_MESSAGE);
  });

  it('shows what was typed, said and done, the skill’s activation and a failed call, and not Gemini’s session context', () => {
    const { window, invocationFound } = buildJudgeWindow(
      { transcriptText: readFileSync(RESUMED, 'utf8'), toolUseId: `${CALLING_MESSAGE}:${REF}`, skillRef: REF, reaction: 'that was wrong, you skipped the tests' },
      TRANSCRIPT_FORMATS,
    );
    expect(invocationFound).toBe(true);
    expect(window).toContain('USER: deploy the service');
    expect(window).toContain(`ASSISTANT [tool activate_skill]: ${REF}`);
    expect(window).toContain('ASSISTANT: Deployed.');
    expect(window).toContain('ASSISTANT [tool run_shell_command]: npm test');
    expect(window).toContain('TOOL ERROR [run_shell_command]: error: Tool "run_shell_command" not found');
    expect(window).not.toContain('session_context');
    // Each turn once, though the resume wrote the history again.
    expect(window.split('USER: deploy the service').length).toBe(2);
  });

  it('a history a resume rewrote without toolCalls still shows the activation (its functionCall part), once', () => {
    const text = readFileSync(RESUMED_SAME_MINUTE);
    // Where BeforeAgent of the resumed prompt measured the file: after the rewrite, before the prompt.
    const cut = text.indexOf('{"id":"06ef0d4c');
    const { window, invocationFound } = buildJudgeWindow(
      { transcriptText: text.subarray(0, cut).toString('utf8'), toolUseId: `6a9c80a5-ef64-4a7f-8755-77a9bbd7b2fa:${REF}`, skillRef: REF, reaction: 'that was wrong' },
      TRANSCRIPT_FORMATS,
    );
    expect(invocationFound).toBe(true);
    expect(window).toBe(`USER: deploy the service\n\nASSISTANT [tool activate_skill]: ${REF}\n\nASSISTANT: Deployed.\n\nUSER: that was wrong`);
  });

  it('a window cut where the reaction’s prompt began ends before it', () => {
    const text = readFileSync(RESUMED, 'utf8');
    const cut = text.indexOf('{"id":"577808f1');
    const { window } = buildJudgeWindow({ transcriptText: text.slice(0, cut), toolUseId: `${CALLING_MESSAGE}:${REF}`, skillRef: REF, reaction: 'that was wrong, you skipped the tests' }, TRANSCRIPT_FORMATS);
    expect(window).toContain('ASSISTANT: Deployed.');
    expect(window).not.toContain('Sorry: running the tests now.');
  });
});
