// A Gemini CLI session (<Gemini home>/.gemini/tmp/<project>/chats/session-*.jsonl,
// docs/gemini-cli.md 3) as the judge reads it. The file is a log of records
// replayed as Gemini does (loadConversationRecord): a line with an `id` is a
// message, and a later line with the same id replaces it (the model's message
// is written bare, then again with its tool calls); `{"$set":{"messages":[…]}}`
// replaces the whole list (a resume rewrites the history so); `{"$rewindTo":id}`
// drops that message and every one after it; the first line and other `$set`s
// are metadata. The conversation is worked out once, from every line, and its
// turns given at the last line. A `user` message is what was typed (text
// parts; the `<session_context>` Gemini adds is not the user's) or a tool's
// result (`functionResponse` parts, read through the call instead); a `gemini`
// message is the model's text and its `toolCalls`. An `activate_skill` call is
// named as the hook names the skill use (agents/gemini/agent.ts), a failed
// call becomes a tool error.
import { MAX_TOOL_INPUT_CHARS } from '../../core/limits';
import { isPlainObject } from '../../core/model-json';
import { redactSecrets } from '../../core/redact';
import { oneLine, shorten } from '../../core/text';
import { describeToolInput, textTurn, type Entry, type TranscriptFormat, type Turn } from '../../core/transcript';
import { ACTIVATE_SKILL, geminiSkillUseId } from './agent';

const MESSAGE_TYPES = new Set(['user', 'gemini', 'info', 'error', 'warning']);

/** A Gemini record: its metadata line, a `$set`/`$rewindTo`, or a message (`id`, `type`, `content`, no Claude `message`/pi `parentId`). */
export function isGeminiLine(entry: Entry): boolean {
  if (isPlainObject(entry.$set) || typeof entry.$rewindTo === 'string') return true;
  if (typeof entry.sessionId === 'string' && typeof entry.projectHash === 'string') return true;
  return typeof entry.id === 'string' && typeof entry.type === 'string' && MESSAGE_TYPES.has(entry.type) && 'content' in entry && !('message' in entry) && !('parentId' in entry);
}

/** The messages the records leave, in order. */
export function replayGemini(entries: Entry[]): Entry[] {
  let messages: Entry[] = [];
  for (const entry of entries) {
    if (isPlainObject(entry.$set)) {
      const set = entry.$set;
      if (Array.isArray(set.messages)) messages = set.messages.filter(isPlainObject);
    } else if (typeof entry.$rewindTo === 'string') {
      const at = messages.findIndex((m) => m.id === entry.$rewindTo);
      if (at >= 0) messages = messages.slice(0, at);
    } else if (typeof entry.id === 'string' && typeof entry.type === 'string') {
      const at = messages.findIndex((m) => m.id === entry.id);
      if (at >= 0) messages[at] = entry;
      else messages.push(entry);
    }
  }
  return messages;
}

export const geminiTranscript: TranscriptFormat = {
  recognizes: isGeminiLine,
  reader(entries) {
    const last = entries.at(-1);
    const turns = conversationTurns(replayGemini(entries));
    return (entry) => (entry === last ? turns : []);
  },
};

/** The text parts of a content (a string, or `[{text}]`), joined. */
function partsText(content: unknown, skip?: (text: string) => boolean): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part): part is Entry => isPlainObject(part) && typeof part.text === 'string' && part.thought !== true)
    .map((part) => part.text as string)
    .filter((text) => !skip?.(text))
    .join('\n');
}

const isSessionContext = (text: string): boolean => text.trimStart().startsWith('<session_context>');

/** What the judge should see of a Gemini tool's input: its one telling field. */
const SALIENT_FIELD: Record<string, string> = {
  run_shell_command: 'command',
  read_file: 'file_path',
  write_file: 'file_path',
  replace: 'file_path',
  read_many_files: 'include',
  list_directory: 'dir_path',
  glob: 'pattern',
  grep_search: 'pattern',
  google_web_search: 'query',
  web_fetch: 'prompt',
};

/**
 * The turns of the replayed messages. A model message's calls are its
 * `toolCalls` (with their status), or, in a history a resume rewrote, its
 * `functionCall` parts; a failed call is its status, or the `functionResponse`
 * error that answered it (each failure shown once: a resume repeats results).
 */
function conversationTurns(messages: Entry[]): Turn[] {
  const failed = new Set<string>();
  const names = new Map<string, string>();
  return messages.flatMap((message): Turn[] => {
    if (message.type === 'user') {
      return [...textTurn('USER', partsText(message.content, isSessionContext)), ...responseErrors(message.content, failed, names)];
    }
    if (message.type !== 'gemini') return [];
    const recorded = Array.isArray(message.toolCalls) ? message.toolCalls.filter(isPlainObject) : [];
    const calls = recorded.length > 0 ? recorded : functionCalls(message.content);
    return [...textTurn('ASSISTANT', partsText(message.content)), ...calls.flatMap((call) => callTurns(message, call, failed, names))];
  });
}

/** The `functionCall` parts of a content, as calls (`{id, name, args}`, no status). */
function functionCalls(content: unknown): Entry[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((part): Entry[] => (isPlainObject(part) && isPlainObject(part.functionCall) ? [part.functionCall] : []));
}

/** Failed results among a user message's `functionResponse` parts, for calls whose failure is not shown yet. */
function responseErrors(content: unknown, failed: Set<string>, names: Map<string, string>): Turn[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((part): Turn[] => {
    const response = isPlainObject(part) && isPlainObject(part.functionResponse) ? part.functionResponse : undefined;
    if (!response || !isPlainObject(response.response) || response.response.error === undefined) return [];
    const callId = typeof response.id === 'string' ? response.id : '';
    if (failed.has(callId)) return [];
    failed.add(callId);
    const error = response.response.error;
    const text = `error: ${typeof error === 'string' ? error : JSON.stringify(error)}`;
    const name = typeof response.name === 'string' ? response.name : 'unknown';
    return [{ role: 'USER', text: shorten(oneLine(redactSecrets(text)), MAX_TOOL_INPUT_CHARS), errorOf: { id: names.get(callId) ?? callId, name } }];
  });
}

function callTurns(message: Entry, call: Entry, failed: Set<string>, names: Map<string, string>): Turn[] {
  const name = typeof call.name === 'string' ? call.name : 'unknown';
  const args = isPlainObject(call.args) ? call.args : {};
  const callId = typeof call.id === 'string' ? call.id : '';
  const skill = name === ACTIVATE_SKILL && typeof args.name === 'string' ? args.name : undefined;
  const id = skill !== undefined && typeof message.id === 'string' ? geminiSkillUseId(message.id, skill) : callId;
  // The result answers the call's own id: its failure is shown under the id the turn has here.
  names.set(callId, id);
  const field = SALIENT_FIELD[name];
  const salient = field === undefined ? undefined : args[field];
  const shown = skill ?? (typeof salient === 'string' ? salient : describeToolInput(name, args));
  const turns: Turn[] = [{ role: 'ASSISTANT', text: shorten(oneLine(redactSecrets(shown)), MAX_TOOL_INPUT_CHARS), tool: { id, name, ...(skill ? { skill } : {}) } }];
  if (typeof call.status === 'string' && call.status !== 'success' && !failed.has(callId)) {
    failed.add(callId);
    turns.push({ role: 'USER', text: shorten(oneLine(redactSecrets(callError(call))), MAX_TOOL_INPUT_CHARS), errorOf: { id, name } });
  }
  return turns;
}

/** What a failed call said: the result's error, else what was displayed, else its status. */
function callError(call: Entry): string {
  const results = Array.isArray(call.result) ? call.result : [];
  for (const result of results) {
    const response = isPlainObject(result) && isPlainObject(result.functionResponse) ? result.functionResponse.response : undefined;
    if (isPlainObject(response) && response.error !== undefined) return `${String(call.status)}: ${typeof response.error === 'string' ? response.error : JSON.stringify(response.error)}`;
  }
  if (typeof call.resultDisplay === 'string' && call.resultDisplay) return `${String(call.status)}: ${call.resultDisplay}`;
  return String(call.status);
}
