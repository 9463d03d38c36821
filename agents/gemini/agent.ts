// Gemini CLI (npm @google/gemini-cli) as the hooks see it (docs/gemini-cli.md).
// Its home is GEMINI_CLI_HOME, else the user's; skills load from
// <home>/.gemini/skills, <home>/.agents/skills, then (in a trusted folder)
// <cwd>/.gemini/skills and <cwd>/.agents/skills, a later one overriding a skill
// of the same name. A skill is used through the `activate_skill` tool, named by
// the skill's frontmatter `name` (a pulled copy says `<name>--<author>`); the
// user has no syntax of their own for one (they ask, the model activates it).
// Transcripts are JSONL under <home>/.gemini/tmp/<project slug>/chats/.
//
// Gemini's hooks get their own event names (AfterTool, BeforeAgent, …, mapped
// in agents/gemini/setup.ts) and no tool-call id. The call's id exists only in
// the transcript, and is written after AfterTool returns; what is there at
// AfterTool is the model's message that made the call (its `id`, kept when the
// call is added to it later). So a skill use is named `<message id>:<skill>`,
// read from the transcript's last `gemini` message when the hook runs, and the
// transcript reader (agents/gemini/transcript.ts) names the activate_skill call
// the same. A prompt is named by the transcript's size at BeforeAgent: Gemini
// waits for the hook and writes the prompt after it, so every copy of the hook
// for one prompt sees the same size, and it is where the reaction's window ends.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expandHome, nonBlank, userHome } from '../../local/home';
import type { Agent } from '../agent';
import { payloadFrom, type HookPayload } from '../hook-payload';
import { fileSize } from '../prompt-offset';
import { pulledSkillNamed } from '../skills-in-context';

/** The tool a Gemini model uses a skill with. */
export const ACTIVATE_SKILL = 'activate_skill';

/** Gemini's home: GEMINI_CLI_HOME (`~` expanded, relative to `cwd`), else the user's home. Its settings are under <it>/.gemini. */
export function geminiHome(env: NodeJS.ProcessEnv = process.env, home = userHome(env), cwd = process.cwd()): string {
  const given = nonBlank(env.GEMINI_CLI_HOME);
  return given ? resolve(cwd, expandHome(given, env)) : home;
}

/** <Gemini's home>/.gemini: settings.json, policies/, skills/, tmp/. */
export function geminiDir(env: NodeJS.ProcessEnv = process.env, home = userHome(env), cwd = process.cwd()): string {
  return join(geminiHome(env, home, cwd), '.gemini');
}

/** How a skill use is named: the id of the model message that called activate_skill, and the skill. */
export function geminiSkillUseId(messageId: string, skill: string): string {
  return `${messageId}:${skill}`;
}

/** The transcript's tail read for the last model message: that message is among the last lines at AfterTool. */
const TAIL_BYTES = 256 * 1024;

/**
 * The `id` of the last `gemini` message in the transcript (JSONL, one record a
 * line), or undefined. Only whole lines of the tail are read.
 */
export function lastModelMessageId(path: string | undefined): string | undefined {
  if (!path) return undefined;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    const n = readSync(fd, buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8', 0, n).split('\n');
    // The first line of a tail that does not start the file may be cut.
    for (let i = lines.length - 1; i >= (start === 0 ? 0 : 1); i--) {
      const line = lines[i]!;
      if (!line.includes('"type":"gemini"')) continue;
      try {
        const record = JSON.parse(line) as { id?: unknown; type?: unknown };
        if (record.type === 'gemini' && typeof record.id === 'string' && record.id) return record.id;
      } catch {
        // A line being written, or not a record.
      }
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** An object's field, when it is one. */
function field(data: unknown, key: string): unknown {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>)[key] : undefined;
}

/**
 * Gemini's hook JSON as the hooks' payload: the shared fields as they are,
 * plus the ids Gemini does not send. AfterTool of activate_skill: the use's id
 * from the transcript (no id when the call failed: a skill that did not load
 * was not used). BeforeAgent: the prompt's id, the transcript's size.
 */
export function geminiHookPayload(data: unknown): HookPayload | undefined {
  const payload = payloadFrom(data);
  if (!payload) return undefined;
  switch (payload.hook_event_name) {
    case 'AfterTool': {
      if (payload.tool_name !== ACTIVATE_SKILL) return payload;
      const failed = field(field(data, 'tool_response'), 'error');
      if (failed !== undefined && failed !== null && failed !== '') {
        const { tool_input: _input, ...rest } = payload;
        return rest;
      }
      const skill = payload.tool_input?.name;
      const messageId = lastModelMessageId(payload.transcript_path);
      return typeof skill === 'string' && messageId ? { ...payload, tool_use_id: geminiSkillUseId(messageId, skill) } : payload;
    }
    case 'BeforeAgent':
      return payload.transcript_path ? { ...payload, prompt_id: `${payload.session_id ?? ''}@${fileSize(payload.transcript_path)}` } : payload;
    default:
      return payload;
  }
}

export const geminiAgent: Agent = {
  id: 'gemini',
  label: 'Gemini CLI',
  installRoots: ({ home, cwd, env }) => ({ user: join(geminiHome(env, home), '.gemini', 'skills'), project: resolve(cwd, '.gemini', 'skills') }),
  // The winner of a name first: the workspace's (loaded last, in a trusted folder), `.agents` over `.gemini`, then the user's.
  skillRoots({ home, cwd, env }) {
    const base = geminiHome(env, home);
    return [resolve(cwd, '.agents', 'skills'), resolve(cwd, '.gemini', 'skills'), join(base, '.agents', 'skills'), join(base, '.gemini', 'skills')];
  },
  transcriptFolder: (env, cwd) => join(geminiDir(env, userHome(env), cwd), 'tmp'),
  // activate_skill names the skill by its frontmatter name: a pulled copy's is its folder's, `<name>--<author>`.
  skillCall(payload, skills) {
    const name = payload.tool_input?.name;
    if (payload.tool_name !== ACTIVATE_SKILL || typeof name !== 'string') return 'not-skill-tool';
    return pulledSkillNamed(geminiAgent, name, skills);
  },
  promptInvocation: () => undefined,
  // BeforeAgent is waited for and the prompt written after it: the file's size is where the prompt starts.
  reactionOffset: (payload) => fileSize(payload.transcript_path),
  hookPayload: geminiHookPayload,
};
