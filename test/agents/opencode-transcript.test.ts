// The judge's reading of OpenCode's sessions (agents/opencode/transcript.ts
// through activities/transcript-file.ts): the real pinned OpenCode writes a
// session into its SQLite database (the model, scripted on loopback, calls the
// `skill` tool), and the judge's window is read from that database read-only:
// the invocation pinned by its call id, only the rows written before the
// reaction, only that session, and nothing outside OpenCode's data folder.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTranscriptWindow } from '../../activities/transcript-file';
import { FailureTypes, type JudgeInput } from '../../activities/types';
import { AGENT_TRANSCRIPTS, TRANSCRIPT_FORMATS } from '../../agents/transcripts';
import { openCodeDatabasePath } from '../../agents/opencode/agent';
import { agentTranscriptRoots } from '../../agents/registry';
import { buildJudgeWindow } from '../../core/transcript';
import { chatMatch, openCodeBin, startChatCompletionsServer, writeOpenCodeHome, type ChatCompletionsServer, type OpenCodeHome } from '../fixtures/chat-completions-server';

const SKILL = 'deploy-checklist--alice';
const WRONG = 'that was wrong, you skipped the tests';
let dir: string;
let oc: OpenCodeHome;
let server: ChatCompletionsServer;
let db: string;
let roots: string[];
let deploy: { id: string; callId: string; reactedAt: number };
let other: string;

async function run(prompt: string, session?: string): Promise<string> {
  const args = ['run', '--format', 'json', '--title', 't', ...(session ? ['--session', session] : [])];
  const result = await execa(openCodeBin(), args, { cwd: join(dir, 'project'), env: { PATH: process.env.PATH!, ...oc.env }, extendEnv: false, input: prompt, timeout: 90_000 });
  return (JSON.parse(result.stdout.split('\n')[0]!) as { sessionID: string }).sessionID;
}

const judgeInput = (path: string, reactedAt: number, sessionId = deploy.id): JudgeInput => ({
  ref: { name: 'deploy-checklist', author: 'alice' },
  invocation: { sessionId, toolUseId: deploy.callId, user: 'alice', agent: 'opencode', skillVersion: 1, transcriptPath: path, transcriptBytes: 0 },
  reaction: { eventId: 'r1', text: WRONG, transcriptPath: path, transcriptBytes: reactedAt },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-opencode-transcript-'));
  mkdirSync(join(dir, 'project'));
  server = await startChatCompletionsServer({
    rules: [
      { name: 'skill', match: chatMatch.all(chatMatch.prompt('deploy the service'), chatMatch.noToolResult), reply: { text: "I'll follow the checklist.", toolCall: { name: 'skill', arguments: { name: SKILL } } } },
      { name: 'after', match: chatMatch.toolResult, reply: { text: 'Deployed without tests.' } },
      { name: 'sorry', match: chatMatch.prompt(WRONG), reply: { text: 'Sorry, running them now.' } },
      { name: 'other', match: chatMatch.prompt('hello'), reply: { text: 'A different session.' } },
    ],
  });
  oc = writeOpenCodeHome(dir, { url: server.url });
  mkdirSync(join(oc.configDir, 'skills', SKILL), { recursive: true });
  writeFileSync(join(oc.configDir, 'skills', SKILL, 'SKILL.md'), `---\nname: ${SKILL}\ndescription: Use when deploying\n---\n# Deploy\n\n1. Run the tests.\n`);
  const id = await run('deploy the service');
  const reactedAt = Date.now();
  await run(WRONG, id);
  other = await run('hello');
  deploy = { id, callId: server.requests().find((r) => r.rule === 'skill')!.callId!, reactedAt };
  db = openCodeDatabasePath(oc.env);
  roots = agentTranscriptRoots(oc.env);
}, 180_000);
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const windowOf = async (input: JudgeInput) =>
  buildJudgeWindow({ transcriptText: await readTranscriptWindow(input, roots), toolUseId: input.invocation.toolUseId, skillRef: SKILL, reaction: input.reaction.text }, TRANSCRIPT_FORMATS);

describe('the judge reads an OpenCode session from opencode.db', () => {
  it('finds the skill tool’s call by its id, with what was said before the reaction and nothing after it', async () => {
    expect(roots).toContain(oc.dataDir);
    const { window, invocationFound } = await windowOf(judgeInput(db, deploy.reactedAt));
    expect(invocationFound).toBe(true);
    expect(window).toBe(
      ['USER: deploy the service', "ASSISTANT: I'll follow the checklist.", `ASSISTANT [tool Skill]: ${SKILL}`, 'ASSISTANT: Deployed without tests.', `USER: ${WRONG}`].join('\n\n'),
    );
    // Retried later, the same rows: the reaction's position fixes the window.
    expect((await windowOf(judgeInput(db, deploy.reactedAt))).window).toBe(window);
    // A later position sees the reply to the reaction; another session is never read.
    const later = await readTranscriptWindow(judgeInput(db, Date.now()), roots);
    expect(later).toContain('Sorry, running them now.');
    expect(later).not.toContain('A different session.');
    expect(await readTranscriptWindow(judgeInput(db, Date.now(), other), roots)).toContain('A different session.');
  });

  it('is read-only: the database files are unchanged by a read', async () => {
    const digest = () => ['', '-wal', '-shm'].map((s) => { try { return createHash('sha256').update(readFileSync(db + s)).digest('hex'); } catch { return 'none'; } }).join(',');
    const before = digest();
    await readTranscriptWindow(judgeInput(db, Date.now()), roots);
    expect(digest()).toBe(before);
  });

  it('refuses a database outside OpenCode’s data folder, a file that is not one, and a link out of the folder', async () => {
    const refused = async (path: string) => {
      const err = (await readTranscriptWindow(judgeInput(path, Date.now()), roots).catch((e: unknown) => e)) as ApplicationFailure;
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: FailureTypes.TranscriptOutsideRoots, nonRetryable: true });
      return err.message;
    };
    const outside = join(dir, 'opencode.db');
    copyFileSync(db, outside);
    expect(await refused(outside)).toContain('outside the agent transcript folders');
    copyFileSync(db, join(oc.dataDir, 'sessions.sqlite'));
    expect(await refused(join(oc.dataDir, 'sessions.sqlite'))).toContain('not a .jsonl file');
    symlinkSync(outside, join(oc.dataDir, 'opencode-dev.db'));
    expect(await refused(join(oc.dataDir, 'opencode-dev.db'))).toContain('a link to a file outside');
  });

  it('a file named like the database that is not one is a transcript not there, not retried', async () => {
    const garbage = join(oc.dataDir, 'opencode-garbage.db');
    writeFileSync(garbage, '{"not":"sqlite"}\n'.repeat(100));
    const err = (await readTranscriptWindow(judgeInput(garbage, Date.now()), roots).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toMatchObject({ type: FailureTypes.TranscriptMissing, nonRetryable: true });
    expect(err.message).toContain('SQLITE_NOTADB');
  });

  it('OpenCode’s lines are read by its own format, whatever other agents’ formats are listed', () => {
    expect(AGENT_TRANSCRIPTS.opencode.recognizes({ opencodePart: { type: 'text', text: 'x' }, role: 'user' })).toBe(true);
    expect(AGENT_TRANSCRIPTS.opencode.recognizes({ type: 'user', message: { content: 'x' } })).toBe(false);
  });
});
