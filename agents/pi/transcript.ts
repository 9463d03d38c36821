// pi's session file (<session dir>/--<cwd>--/<time>_<id>.jsonl, docs/pi.md)
// as the judge reads it: a header line (`{type: "session", version, id, cwd}`),
// then entries `{type, id, parentId, timestamp}` forming a tree; only the
// branch from the last entry back to the root is the conversation (pi's /tree
// leaves other branches in the file). `message` entries hold what was said: the
// user's text, the assistant's text and tool calls (`read` of
// `<ref>/SKILL.md` is the invocation), and the results of calls that failed.
// A prompt typed as `/skill:<ref>` is recorded expanded, as a `<skill
// name="<ref>" …>` block: that prompt is the invocation. What extensions add
// (custom entries and messages), summaries and model changes are not turns.
import { MAX_TOOL_INPUT_CHARS } from '../../core/limits';
import { isPlainObject } from '../../core/model-json';
import { redactSecrets } from '../../core/redact';
import { oneLine, shorten } from '../../core/text';
import { textOf, textTurn, toolTurn, type Entry, type TranscriptFormat, type Turn } from '../../core/transcript';

/** The entry types pi 0.73 writes (session-format.md). */
const PI_ENTRY_TYPES = new Set(['message', 'model_change', 'thinking_level_change', 'compaction', 'branch_summary', 'custom', 'custom_message', 'label', 'session_info']);

function isPiLine(entry: Entry): boolean {
  if (entry.type === 'session') return typeof entry.version === 'number' && typeof entry.id === 'string';
  return typeof entry.type === 'string' && PI_ENTRY_TYPES.has(entry.type) && typeof entry.id === 'string' && 'parentId' in entry && typeof entry.timestamp === 'string';
}

export const piTranscript: TranscriptFormat = {
  recognizes: isPiLine,
  reader(entries) {
    const onBranch = activeBranch(entries);
    return (entry) => (onBranch.has(entry) && entry.type === 'message' && isPlainObject(entry.message) ? messageTurns(entry.message) : []);
  },
};

/**
 * The entries on the path from the last entry back to the root. Where the
 * path reaches a parent that is not in the text (the caller read from
 * mid-file, or a line was corrupt), the entries before that point are kept:
 * their branch cannot be told.
 */
function activeBranch(entries: Entry[]): Set<Entry> {
  const byId = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (entry.type !== 'session') byId.set(entry.id as string, index);
  });
  const onBranch = new Set<Entry>();
  const leaf = entries.findLastIndex((e) => e.type !== 'session');
  let keepBefore = 0;
  for (let at: number | undefined = leaf < 0 ? undefined : leaf; at !== undefined; ) {
    const entry = entries[at]!;
    onBranch.add(entry);
    if (typeof entry.parentId !== 'string') break;
    const next = byId.get(entry.parentId);
    if (next === undefined) keepBefore = at;
    at = next === undefined || onBranch.has(entries[next]!) ? undefined : next;
  }
  entries.slice(0, keepBefore).forEach((entry) => onBranch.add(entry));
  return onBranch;
}

/** `<skill name="<ref>" location="…">…</skill>`, then what the user typed after `/skill:<ref>`. */
const EXPANDED_SKILL = /^<skill name="([^"]+)"[^>]*>[\s\S]*?<\/skill>\s*/;

function messageTurns(message: Entry): Turn[] {
  switch (message.role) {
    case 'user': {
      const text = textOf(message.content);
      const skill = EXPANDED_SKILL.exec(text.trimStart());
      if (!skill) return textTurn('USER', text);
      const typed = text.trimStart().slice(skill[0].length);
      return [{ role: 'USER', text: shorten(oneLine(redactSecrets(`${skill[1]} ${typed}`.trim())), MAX_TOOL_INPUT_CHARS), tool: { id: '', name: 'Skill', skill: skill[1]! } }];
    }
    case 'assistant':
      return assistantTurns(message.content);
    case 'toolResult':
      return message.isError === true ? [failedCall(message)] : [];
    case 'bashExecution':
      // `!<command>` the user ran in pi; `!!` ones stay out of the model's context, and out of the judge's.
      return message.excludeFromContext === true || typeof message.command !== 'string' ? [] : textTurn('USER', `!${message.command}`);
    default:
      return []; // custom (extensions), branch and compaction summaries.
  }
}

function assistantTurns(content: unknown): Turn[] {
  if (!Array.isArray(content)) return textTurn('ASSISTANT', textOf(content));
  return content.flatMap((block): Turn[] => {
    if (!isPlainObject(block)) return [];
    if (block.type === 'text' && typeof block.text === 'string') return textTurn('ASSISTANT', block.text);
    if (block.type !== 'toolCall') return [];
    const input = block.arguments;
    const turn = toolTurn({ id: block.id, name: block.name, input });
    const reads = isPlainObject(input) ? (block.name === 'read' ? input.path : block.name === 'bash' ? input.command : undefined) : undefined;
    return [typeof reads === 'string' && turn.tool ? { ...turn, tool: { ...turn.tool, reads } } : turn];
  });
}

function failedCall(message: Entry): Turn {
  const text = shorten(oneLine(redactSecrets(textOf(message.content))), MAX_TOOL_INPUT_CHARS);
  return { role: 'USER', text, errorOf: { id: typeof message.toolCallId === 'string' ? message.toolCallId : '', name: typeof message.toolName === 'string' ? message.toolName : 'unknown' } };
}
