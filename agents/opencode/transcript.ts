// OpenCode's sessions as the judge reads them: rows of its SQLite database
// (<data>/opencode.db, docs/opencode.md §3), opened read-only by the activity
// (activities/transcript-file.ts). Each model step and each prompt is a
// `message` row (`data.role`), what it said is its `part` rows: `text` (the
// user's prompt, the assistant's answer; parts OpenCode adds itself are
// `synthetic`), `tool` (`tool`, `callID`, `state: {status, input, error}`; the
// `skill` tool's call is the invocation) and bookkeeping (step-start,
// step-finish, reasoning, …) that is not a turn. The rows are turned into one
// JSON line per part, `{"opencodePart": <part>, "role": <message role>}`, so the
// judge's window is built like every other agent's.
import { isPlainObject } from '../../core/model-json';
import { redactSecrets } from '../../core/redact';
import { MAX_TOOL_INPUT_CHARS } from '../../core/limits';
import { oneLine, shorten } from '../../core/text';
import { textTurn, toolTurn, type Entry, type TranscriptDatabase, type TranscriptFormat, type Turn } from '../../core/transcript';

/** The database file names of OpenCode's release channels: opencode.db, opencode-<channel>.db. */
const DATABASE_NAME = /^opencode(?:-[\w.-]+)?\.db$/;

/**
 * A session's parts written before `end` (ms, the reaction's prompt time), in
 * the order OpenCode shows them: by message (creation time, then id, which
 * sorts by time) then by part id.
 */
const SESSION_PARTS = `SELECT part.data AS part, message.data AS message
  FROM part JOIN message ON message.id = part.message_id
  WHERE part.session_id = ? AND message.session_id = ? AND message.time_created < ?
  ORDER BY message.time_created, message.id, part.id`;

function parsed(text: unknown): Entry | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** What the judge needs of a part: no tool output (a skill's whole text, a file's), which the turns never show. */
function keptPart(part: Entry): Entry {
  if (part.type !== 'tool' || !isPlainObject(part.state)) return part;
  const { status, input, error } = part.state;
  return { ...part, state: { status, input, ...(typeof error === 'string' ? { error } : {}) } };
}

export const openCodeSessions: TranscriptDatabase = {
  isDatabase: (fileName) => DATABASE_NAME.test(fileName),
  sessionText(rows, sessionId, end) {
    return rows(SESSION_PARTS, sessionId, sessionId, end)
      .flatMap((row) => {
        const part = parsed(row.part);
        const role = parsed(row.message)?.role;
        return part && typeof role === 'string' ? [`${JSON.stringify({ opencodePart: keptPart(part), role })}\n`] : [];
      })
      .join('');
  },
};

function partTurns(role: unknown, part: Entry): Turn[] {
  if (part.type === 'text' && typeof part.text === 'string') {
    // Text OpenCode put in itself (a file's content, a reminder) is not what anyone said.
    if (part.synthetic === true || part.ignored === true) return [];
    return role === 'user' ? textTurn('USER', part.text) : role === 'assistant' ? textTurn('ASSISTANT', part.text) : [];
  }
  if (part.type !== 'tool' || typeof part.tool !== 'string' || !isPlainObject(part.state)) return [];
  const id = typeof part.callID === 'string' ? part.callID : '';
  const input = part.state.input;
  const call: Turn =
    part.tool === 'skill' && isPlainObject(input) && typeof input.name === 'string'
      ? // The skill tool is the invocation: named like Claude Code's Skill, so a window finds it by ref too.
        toolTurn({ id, name: 'Skill', input: { skill: input.name } })
      : toolTurn({ id, name: part.tool, input });
  if (part.state.status !== 'error') return [call];
  const error = typeof part.state.error === 'string' ? part.state.error : 'failed';
  return [call, { role: 'USER', text: shorten(oneLine(redactSecrets(error)), MAX_TOOL_INPUT_CHARS), errorOf: { id, name: part.tool } }];
}

export const openCodeTranscript: TranscriptFormat = {
  recognizes: (entry) => isPlainObject(entry.opencodePart) && typeof entry.role === 'string',
  reader: () => (entry) => (isPlainObject(entry.opencodePart) ? partTurns(entry.role, entry.opencodePart) : []),
};
