// The judge's view of a session: the turns around a skill invocation, read
// from an agent transcript (JSONL), plus the user's reaction. One parser reads
// a Claude Code transcript and a Codex CLI rollout
// (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`), telling them apart line
// by line: a Codex line is `{timestamp, type, payload}` with a rollout type.
//
// The caller cuts the transcript at the byte length recorded with the
// reaction, so the last line may be half written: lines that do not parse are
// ignored. For Claude Code only the conversation's active branch is read (a
// rewind leaves the abandoned turns in the file); injected text (`isMeta`: the
// skill body, Stop-hook feedback) and tool results are not turns. A skill the
// user typed as `/<name>` is a command entry (`<command-name>/<name></command-name>`,
// the prompt's promptId) followed by the skill body as a meta entry: that
// entry is the invocation, as a Skill tool call is. For Codex
// only `response_item` lines are read: typed user text (not the environment
// context or an injected `<skill>`), assistant text, function calls, and the
// outputs of commands that failed. What the assistant did
// is shown compactly, since that is what the judge grades: its tool calls, and
// the calls that failed (a blocked call followed by "done" is a false claim).
// Secrets are redacted before anything is cut, so a cut cannot expose part of one.
import { MAX_TOOL_INPUT_CHARS, MAX_WINDOW_CHARS, WINDOW_TURNS_AFTER, WINDOW_TURNS_BEFORE } from './limits';
import { isPlainObject } from './model-json';
import { redactSecrets } from './redact';
import { cutText, cutTextEnd, oneLine, shorten } from './text';

export interface JudgeWindowInput {
  /** JSONL text, possibly cut mid-line at the end (and starting at a line boundary mid-file). */
  transcriptText: string;
  /** The invocation's tool_use id, when the hook saw it. */
  toolUseId?: string | null;
  /** `<name>--<author>`, for finding the invocation when the id is absent. */
  skillRef: string;
  /** The user's reaction (not yet in the transcript when the hook fires). */
  reaction: string;
}

export interface JudgeWindowOptions {
  /** Text turns shown before the invocation. */
  before?: number;
  /** Text turns shown from the invocation on. */
  after?: number;
  /** Characters of transcript kept; the reaction is appended after this cut. */
  maxChars?: number;
}

export interface JudgeWindow {
  window: string;
  /**
   * False when neither the pinned id nor a call for the ref (Claude's Skill tool or `/<ref>` command, or a
   * Codex shell command reading `<ref>/SKILL.md`) was found: the window is then the last turns.
   */
  invocationFound: boolean;
  /** Transcript turns in the window (the appended reaction not counted). */
  turns: number;
}

type Entry = Record<string, unknown>;

interface Turn {
  role: 'USER' | 'ASSISTANT';
  text: string;
  /** Set on tool calls; `command` (raw, for finding a skill read) on a Codex shell call. */
  tool?: { id: string; name: string; skill?: string; command?: string };
  /** Set on a failed tool call's result: the id and (once resolved) the name of the call. */
  errorOf?: { id: string; name: string };
}

export function buildJudgeWindow(input: JudgeWindowInput, options: JudgeWindowOptions = {}): JudgeWindow {
  const { before = WINDOW_TURNS_BEFORE, after = WINDOW_TURNS_AFTER, maxChars = MAX_WINDOW_CHARS } = options;
  const entries = activeBranch(parseTranscript(input.transcriptText));
  const skillCommands = skillCommandEntries(entries);
  const turns = nameFailedCalls(entries.flatMap((e) => (isCodexLine(e) ? codexTurns(e) : entryTurns(e, skillCommands))));
  const at = findInvocation(turns, input.toolUseId, input.skillRef);
  const reaction = redactSecrets(input.reaction.trim());
  const selected = withoutEchoedReaction(sliceAround(turns, at ?? turns.length, before, after), reaction);
  const transcriptPart = elide(selected.map(renderTurn).join('\n\n'), maxChars);
  return { window: appendReaction(transcriptPart, reaction), invocationFound: at !== undefined, turns: selected.length };
}

/** One object per parseable line; a truncated or corrupt line is skipped. */
export function parseTranscript(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (isPlainObject(value)) entries.push(value);
    } catch {
      // The last line may be cut mid-write; any other bad line is noise.
    }
  }
  return entries;
}

/**
 * Claude Code entries on the path from the last entry back to the root (following
 * parentUuid, and logicalParentUuid across a compaction). Where the path
 * reaches a parent that is not in the text (the caller read from mid-file, or
 * a line was corrupt) the entries before that point are kept: their branch
 * cannot be told.
 */
function activeBranch(entries: Entry[]): Entry[] {
  const byUuid = new Map<string, number>();
  const chained = (entry: Entry): boolean => typeof entry.uuid === 'string' && !isCodexLine(entry);
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
    const command = slashCommand(userText(content));
    if (command) return [commandTurn(entry, command, skillCommands)];
    return [...toolErrorTurns(content), ...textTurn('USER', userText(content))];
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
    if (userText(entry.message.content).startsWith('Base directory for this skill:')) found.add(entry.parentUuid);
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

function userText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((block): block is Entry => isPlainObject(block) && block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('\n');
}

/** Results flagged `is_error`, shortened: the call was blocked or failed. */
function toolErrorTurns(content: unknown): Turn[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((block): Turn[] => {
    if (!isPlainObject(block) || block.type !== 'tool_result' || block.is_error !== true) return [];
    const text = shorten(oneLine(redactSecrets(userText(block.content))), MAX_TOOL_INPUT_CHARS);
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

function textTurn(role: Turn['role'], text: string): Turn[] {
  const trimmed = text.trim();
  return trimmed ? [{ role, text: redactSecrets(trimmed) }] : [];
}

/** Gives each failed result the name of the call it answers. */
function nameFailedCalls(turns: Turn[]): Turn[] {
  const names = new Map<string, string>();
  for (const turn of turns) if (turn.tool) names.set(turn.tool.id, turn.tool.name);
  return turns.map((turn) => (turn.errorOf ? { ...turn, errorOf: { ...turn.errorOf, name: names.get(turn.errorOf.id) ?? 'unknown' } } : turn));
}

function toolTurn(block: Entry): Turn {
  const name = typeof block.name === 'string' ? block.name : 'unknown';
  const input = toolInput(block.input);
  const skill = name === 'Skill' && isPlainObject(input) && typeof input.skill === 'string' ? input.skill : undefined;
  const text = shorten(oneLine(redactSecrets(describeToolInput(name, input))), MAX_TOOL_INPUT_CHARS);
  return { role: 'ASSISTANT', text, tool: { id: typeof block.id === 'string' ? block.id : '', name, ...(skill ? { skill } : {}) } };
}

/** A tool input given as a JSON string is parsed; the raw string is kept when it does not parse. */
function toolInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

/** The one field that says what a well-known tool did; compact JSON for the rest. */
const SALIENT_FIELD: Record<string, string> = {
  Bash: 'command',
  // Codex: unified exec ({cmd: string}), the shell_command tool ({command: string}), the older shell ({command: argv}).
  exec_command: 'cmd',
  shell_command: 'command',
  shell: 'command',
  local_shell: 'command',
  Read: 'file_path',
  Write: 'file_path',
  NotebookEdit: 'notebook_path',
  Glob: 'pattern',
  Grep: 'pattern',
  WebFetch: 'url',
  WebSearch: 'query',
  Task: 'description',
  Agent: 'description',
};

function describeToolInput(name: string, input: unknown): string {
  if (typeof input === 'string') return input;
  if (!isPlainObject(input)) return input === undefined ? '' : JSON.stringify(input);
  if (name === 'Skill' && typeof input.skill === 'string') return [input.skill, input.args].filter((p) => typeof p === 'string' && p).join(' ');
  const field = SALIENT_FIELD[name];
  const salient = field === undefined ? undefined : input[field];
  if (typeof salient === 'string') return salient;
  if (Array.isArray(salient) && salient.length > 0 && salient.every((part) => typeof part === 'string')) return salient.join(' ');
  return JSON.stringify(input);
}

/**
 * The pinned tool_use id (for Codex the hook's tool_use_id is the function
 * call's call_id, or the turn id of a `$skill` mention; for a skill the user
 * typed as `/<name>` in Claude Code, the prompt id); failing that the last
 * call for the ref: a Claude Skill call or `/<name>` command,
 * or a Codex shell command that reads `<ref>/SKILL.md` (Codex has no skill tool:
 * the model reads the file with `cat`, `sed -n`…); else undefined.
 */
function findInvocation(turns: Turn[], toolUseId: string | null | undefined, skillRef: string): number | undefined {
  if (toolUseId) {
    const pinned = turns.findIndex((t) => t.tool?.id === toolUseId);
    if (pinned >= 0) return pinned;
  }
  const skillFile = skillFilePattern(skillRef);
  const latest = turns.findLastIndex(
    (t) => (t.tool?.name === 'Skill' && t.tool.skill === skillRef) || (t.tool?.command !== undefined && skillFile.test(t.tool.command)),
  );
  return latest >= 0 ? latest : undefined;
}

/** `<ref>/SKILL.md` as a whole path segment: `…/deploy--alice/SKILL.md`, not `…/x-deploy--alice/SKILL.md`. */
function skillFilePattern(skillRef: string): RegExp {
  const escaped = skillRef.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?:^|[\\s/'"=:])${escaped}/SKILL\\.md(?:$|[\\s'";|&)<>])`);
}

/**
 * `before` text turns ahead of `at`, then from `at` on up to `after` more text
 * turns; tool calls in between ride along without using the count.
 */
function sliceAround(turns: Turn[], at: number, before: number, after: number): Turn[] {
  let start = at;
  for (let seen = 0; start > 0 && seen < before; ) {
    start -= 1;
    if (isText(turns[start])) seen += 1;
  }
  let end = Math.min(at, turns.length);
  if (end < turns.length && turns[end]?.tool) end += 1; // the invocation itself
  for (let seen = 0; end < turns.length && seen < after; end += 1) {
    if (isText(turns[end])) seen += 1;
  }
  return turns.slice(start, end);
}

/** Said by the user or the assistant, as opposed to a tool call or a tool error. */
function isText(turn: Turn | undefined): boolean {
  return turn !== undefined && !turn.tool && turn.errorOf === undefined;
}

/** The reaction is appended last; drop the same text if the transcript already ends with it. */
function withoutEchoedReaction(turns: Turn[], reaction: string): Turn[] {
  const last = turns.at(-1);
  return isText(last) && last?.role === 'USER' && last.text === reaction ? turns.slice(0, -1) : turns;
}

function renderTurn(turn: Turn): string {
  if (turn.tool) return `${turn.role} [tool ${turn.tool.name}]: ${turn.text}`;
  if (turn.errorOf) return `TOOL ERROR [${turn.errorOf.name}]: ${turn.text}`;
  return `${turn.role}: ${turn.text}`;
}

/** Keeps the first 55% and the last 45% of `maxChars`, marking how much was cut. */
export function elide(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = cutText(text, Math.floor(maxChars * 0.55));
  const tail = cutTextEnd(text, Math.floor(maxChars * 0.45));
  return `${head}\n\n…[${text.length - head.length - tail.length} chars elided]…\n\n${tail}`;
}

function appendReaction(window: string, reaction: string): string {
  if (!reaction) return window;
  return window ? `${window}\n\nUSER: ${reaction}` : `USER: ${reaction}`;
}

// ---------------------------------------------------------------- Codex rollouts

/** The line types of a Codex rollout (`{timestamp, ordinal?, type, payload}`). */
const CODEX_LINE_TYPES = new Set(['session_meta', 'event_msg', 'response_item', 'world_state', 'turn_context', 'token_usage_record', 'compacted']);

/** A Codex rollout line: a Claude Code entry never has a `payload` and its types are user/assistant/system/…. */
function isCodexLine(entry: Entry): boolean {
  return typeof entry.timestamp === 'string' && typeof entry.type === 'string' && CODEX_LINE_TYPES.has(entry.type) && isPlainObject(entry.payload);
}

/** Tools whose input is a shell command: a read of SKILL.md through one of them is a skill invocation. */
const CODEX_SHELL_TOOLS = new Set(['exec_command', 'shell_command', 'shell', 'local_shell']);

/**
 * User messages Codex writes itself, for a rollout without `content_item_kinds`
 * (older CLIs): the environment context, injected skills and instructions.
 */
const CODEX_INJECTED_PREFIXES = ['<environment_context>', '<skill>', '<user_instructions>', '# AGENTS.md', '<INSTRUCTIONS>', '<turn_aborted>', '<user_shell_command>', '<subagent_notification>', '<permissions instructions>'];

/** The turns of one rollout line: only `response_item`s say what was said and done. */
function codexTurns(entry: Entry): Turn[] {
  if (entry.type !== 'response_item' || !isPlainObject(entry.payload)) return [];
  const item = entry.payload;
  switch (item.type) {
    case 'message':
      if (item.role === 'user') return [...textTurn('USER', codexUserText(item)), ...codexInjectedSkills(item)];
      if (item.role === 'assistant') return textTurn('ASSISTANT', codexTexts(item.content, 'output_text').join('\n'));
      return []; // developer / system: instructions, not the conversation.
    case 'function_call':
      return [codexToolTurn(item, toolInput(item.arguments))];
    case 'custom_tool_call':
      return [codexToolTurn(item, item.input)];
    case 'local_shell_call':
      return [codexToolTurn({ ...item, name: 'local_shell', call_id: item.call_id ?? item.id }, isPlainObject(item.action) ? item.action : undefined)];
    case 'function_call_output':
    case 'custom_tool_call_output':
      return codexToolError(item);
    default:
      return []; // reasoning, web search, compaction…
  }
}

function codexTexts(content: unknown, type: string): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.filter((block): block is Entry => isPlainObject(block) && block.type === type && typeof block.text === 'string').map((block) => block.text as string);
}

/**
 * What the user typed. Codex marks each content item's kind (`user.text` for
 * typed text; the environment context and an injected `<skill>` are user
 * messages too, with other kinds); without kinds, text that opens like an
 * injection is skipped.
 */
function codexUserText(item: Entry): string {
  const content = Array.isArray(item.content) ? item.content : typeof item.content === 'string' ? [{ type: 'input_text', text: item.content }] : [];
  const metadata = item.internal_chat_message_metadata_passthrough;
  const kinds = isPlainObject(metadata) && Array.isArray(metadata.content_item_kinds) ? (metadata.content_item_kinds as unknown[]) : undefined;
  if (kinds !== undefined) {
    if (kinds.length === content.length) return codexTexts(content.filter((_, index) => kinds[index] === 'user.text'), 'input_text').join('\n');
    return kinds.includes('user.text') ? codexTexts(content, 'input_text').join('\n') : '';
  }
  return codexTexts(content, 'input_text')
    .filter((text) => !CODEX_INJECTED_PREFIXES.some((prefix) => text.trimStart().startsWith(prefix)))
    .join('\n');
}

/**
 * A skill Codex injected because the prompt named it (`$<name>`): no tool
 * call, a `<skill><name>…</name>…</skill>` user message. It is the
 * invocation, named by its turn's id (what the UserPromptSubmit hook pins).
 */
function codexInjectedSkills(item: Entry): Turn[] {
  const metadata = isPlainObject(item.internal_chat_message_metadata_passthrough) ? item.internal_chat_message_metadata_passthrough : {};
  const kinds = Array.isArray(metadata.content_item_kinds) ? (metadata.content_item_kinds as unknown[]) : undefined;
  const id = typeof metadata.turn_id === 'string' ? metadata.turn_id : '';
  const content = Array.isArray(item.content) ? item.content : [];
  return content.flatMap((block, index): Turn[] => {
    if (!isPlainObject(block) || typeof block.text !== 'string' || !block.text.trimStart().startsWith('<skill>')) return [];
    if (kinds !== undefined && kinds.length === content.length && kinds[index] !== 'skills.selected_skill_instructions') return [];
    const name = /<name>([^<\n]+)<\/name>/.exec(block.text)?.[1]?.trim();
    return name ? [{ role: 'USER', text: name, tool: { id, name: 'Skill', skill: name } }] : [];
  });
}

function codexToolTurn(item: Entry, input: unknown): Turn {
  const name = typeof item.name === 'string' ? item.name : 'unknown';
  const id = typeof item.call_id === 'string' ? item.call_id : '';
  const turn = toolTurn({ id, name, input });
  const command = CODEX_SHELL_TOOLS.has(name) ? shellCommand(input) : undefined;
  return command === undefined || !turn.tool ? turn : { ...turn, tool: { ...turn.tool, command } };
}

/** The command a shell tool ran: `cmd` or `command`, a string or an argv. */
function shellCommand(input: unknown): string | undefined {
  if (typeof input === 'string') return input;
  if (!isPlainObject(input)) return undefined;
  const value = input.cmd ?? input.command;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((part) => typeof part === 'string')) return value.join(' ');
  return undefined;
}

/**
 * A tool output is a turn only when the call failed: the command exited
 * non-zero (`Process exited with code N`, or `exit_code` in a JSON output) or
 * a PreToolUse hook blocked it.
 */
function codexToolError(item: Entry): Turn[] {
  const text = codexOutputText(item.output);
  const failure = codexFailure(text);
  if (failure === undefined) return [];
  const shown = shorten(oneLine(redactSecrets(failure)), MAX_TOOL_INPUT_CHARS);
  return [{ role: 'USER', text: shown, errorOf: { id: typeof item.call_id === 'string' ? item.call_id : '', name: 'unknown' } }];
}

function codexOutputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return codexTexts(output, 'input_text').concat(codexTexts(output, 'output_text')).join('\n');
  if (isPlainObject(output)) return typeof output.content === 'string' ? output.content : codexOutputText(output.content);
  return '';
}

/** What to show for a failed call ("exit 1: <output>", the hook's reason), or undefined when it succeeded. */
function codexFailure(text: string): string | undefined {
  if (/^Command blocked by PreToolUse hook/.test(text.trimStart())) return text;
  // Unified exec ("Process exited with code N"), the older shell tool ("Exit code: N").
  const exited = /^(?:Process exited with code|Exit code:) (-?\d+)\s*$/m.exec(text);
  if (exited) {
    if (Number(exited[1]) === 0) return undefined;
    const output = /^Output:\n([\s\S]*)$/m.exec(text)?.[1] ?? '';
    return `exit ${exited[1]}: ${output}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed)) return undefined;
  const metadata = isPlainObject(parsed.metadata) ? parsed.metadata : parsed;
  const code = metadata.exit_code;
  if (typeof code !== 'number' || code === 0) return undefined;
  return `exit ${code}: ${typeof parsed.output === 'string' ? parsed.output : ''}`;
}
