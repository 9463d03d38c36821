// Claude Code's transcript (<config dir>/projects/<project>/<session id>.jsonl,
// docs/claude-code.md) as the judge reads it. Only the conversation's active
// branch is read (a rewind leaves the abandoned turns in the file); injected
// text (`isMeta`: the skill body, Stop-hook feedback) and tool results are not
// turns, except the results of calls that failed. A skill the user typed as
// `/<name>` is a command entry (`<command-name>/<name></command-name>`, the
// prompt's promptId) followed by the skill body as a meta entry: that entry is
// the invocation, as a Skill tool call is. It reads every line no other
// agent's format recognizes.
import { MAX_TOOL_INPUT_CHARS } from '../../core/limits';
import { isPlainObject } from '../../core/model-json';
import { redactSecrets } from '../../core/redact';
import { oneLine, shorten } from '../../core/text';
import { textOf, textTurn, toolTurn, type Entry, type TranscriptFormat, type Turn } from '../../core/transcript';

export const claudeTranscript: TranscriptFormat = {
  recognizes: (entry) => typeof entry.type === 'string' && typeof entry.uuid === 'string',
  reader(entries) {
    const onBranch = new Set(activeBranch(entries));
    const skillCommands = skillCommandEntries(entries);
    return (entry) => (onBranch.has(entry) ? entryTurns(entry, skillCommands) : []);
  },
};

/**
 * Claude Code entries on the path from the last entry back to the root (following
 * parentUuid, and logicalParentUuid across a compaction). Where the path
 * reaches a parent that is not in the text (the caller read from mid-file, or
 * a line was corrupt) the entries before that point are kept: their branch
 * cannot be told.
 */
function activeBranch(entries: Entry[]): Entry[] {
  const byUuid = new Map<string, number>();
  const chained = (entry: Entry): boolean => typeof entry.uuid === 'string';
  entries.forEach((entry, index) => {
    if (chained(entry)) byUuid.set(entry.uuid as string, index);
  });
  const leaf = entries.findLastIndex((e) => chained(e) && e.isSidechain !== true);
  if (leaf < 0) return entries;
  const onBranch = new Set<number>();
  let keepBefore = 0;
  for (let at: number | undefined = leaf; at !== undefined; ) {
    onBranch.add(at);
    const parent = parentOf(entries[at] as Entry);
    if (parent === undefined) break;
    const next = byUuid.get(parent);
    if (next === undefined) keepBefore = at;
    at = next === undefined || onBranch.has(next) ? undefined : next;
  }
  return entries.filter((e, index) => index < keepBefore || !chained(e) || onBranch.has(index));
}

function parentOf(entry: Entry): string | undefined {
  if (typeof entry.parentUuid === 'string') return entry.parentUuid;
  return typeof entry.logicalParentUuid === 'string' ? entry.logicalParentUuid : undefined;
}

function entryTurns(entry: Entry, skillCommands: ReadonlySet<string>): Turn[] {
  if (entry.isSidechain === true || !isPlainObject(entry.message)) return [];
  const content = entry.message.content;
  if (entry.type === 'user') {
    if (isInjected(entry)) return [];
    const command = slashCommand(textOf(content));
    if (command) return [commandTurn(entry, command, skillCommands)];
    return [...toolErrorTurns(content), ...textTurn('USER', textOf(content))];
  }
  if (entry.type === 'assistant') return assistantTurns(content);
  return [];
}

/** The tags of a command entry, as Claude Code records what the user typed: `<command-message>`, `<command-name>`, `<command-args>`. */
const COMMAND_TAG = /<(command-message|command-name|command-args)>[\s\S]*?<\/\1>/g;

/** The slash command a user entry records (`/name args` typed), or undefined for any other text (such a tag in typed text among them). */
function slashCommand(text: string): { name: string; args: string } | undefined {
  if (!text.trimStart().startsWith('<command-') || text.replace(COMMAND_TAG, '').trim() !== '') return undefined;
  const name = /<command-name>\/?([^<]*)<\/command-name>/.exec(text)?.[1]?.trim();
  if (!name) return undefined;
  return { name, args: /<command-args>([\s\S]*?)<\/command-args>/.exec(text)?.[1]?.trim() ?? '' };
}

/**
 * The uuids of command entries that invoked a skill: Claude Code follows such
 * an entry with the skill's body, a meta entry opening "Base directory for
 * this skill:" (a custom command's body or a built-in command's output has
 * no such line).
 */
function skillCommandEntries(entries: Entry[]): Set<string> {
  const found = new Set<string>();
  for (const entry of entries) {
    if (entry.type !== 'user' || entry.isMeta !== true || typeof entry.parentUuid !== 'string' || !isPlainObject(entry.message)) continue;
    if (textOf(entry.message.content).startsWith('Base directory for this skill:')) found.add(entry.parentUuid);
  }
  return found;
}

/**
 * What the user typed, `/name args`; a skill invoked so is its invocation,
 * a Skill call named by the prompt's id (what the UserPromptExpansion hook pins).
 */
function commandTurn(entry: Entry, command: { name: string; args: string }, skillCommands: ReadonlySet<string>): Turn {
  const typed = shorten(oneLine(redactSecrets(command.args ? `${command.name} ${command.args}` : command.name)), MAX_TOOL_INPUT_CHARS);
  if (typeof entry.uuid !== 'string' || !skillCommands.has(entry.uuid)) return { role: 'USER', text: `/${typed}` };
  const id = typeof entry.promptId === 'string' ? entry.promptId : entry.uuid;
  return { role: 'USER', text: typed, tool: { id, name: 'Skill', skill: command.name } };
}

/** Text the user did not type: the skill body, hook feedback, compaction summaries. */
function isInjected(entry: Entry): boolean {
  return entry.isMeta === true || entry.isCompactSummary === true || entry.isVisibleInTranscriptOnly === true;
}

/** Results flagged `is_error`, shortened: the call was blocked or failed. */
function toolErrorTurns(content: unknown): Turn[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((block): Turn[] => {
    if (!isPlainObject(block) || block.type !== 'tool_result' || block.is_error !== true) return [];
    const text = shorten(oneLine(redactSecrets(textOf(block.content))), MAX_TOOL_INPUT_CHARS);
    return [{ role: 'USER', text, errorOf: { id: typeof block.tool_use_id === 'string' ? block.tool_use_id : '', name: 'unknown' } }];
  });
}

function assistantTurns(content: unknown): Turn[] {
  if (typeof content === 'string') return textTurn('ASSISTANT', content);
  if (!Array.isArray(content)) return [];
  return content.flatMap((block): Turn[] => {
    if (!isPlainObject(block)) return [];
    if (block.type === 'text' && typeof block.text === 'string') return textTurn('ASSISTANT', block.text);
    if (block.type === 'tool_use') return [toolTurn(block)];
    return [];
  });
}

