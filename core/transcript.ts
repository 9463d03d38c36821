// The judge's view of a session: the turns around a skill invocation, read
// from a Claude Code transcript (JSONL), plus the user's reaction.
//
// The caller cuts the transcript at the byte length recorded with the
// reaction, so the last line may be half written: lines that do not parse are
// ignored. Only the conversation's active branch is read (a rewind leaves the
// abandoned turns in the file); injected text (`isMeta`: the skill body,
// Stop-hook feedback) and tool results are not turns. What the assistant did
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
  /** False when neither the pinned id nor a Skill call for the ref was found: the window is then the last turns. */
  invocationFound: boolean;
  /** Transcript turns in the window (the appended reaction not counted). */
  turns: number;
}

type Entry = Record<string, unknown>;

interface Turn {
  role: 'USER' | 'ASSISTANT';
  text: string;
  /** Set on tool calls. */
  tool?: { id: string; name: string; skill?: string };
  /** Set on a failed tool call's result: the id and (once resolved) the name of the call. */
  errorOf?: { id: string; name: string };
}

export function buildJudgeWindow(input: JudgeWindowInput, options: JudgeWindowOptions = {}): JudgeWindow {
  const { before = WINDOW_TURNS_BEFORE, after = WINDOW_TURNS_AFTER, maxChars = MAX_WINDOW_CHARS } = options;
  const turns = nameFailedCalls(activeBranch(parseTranscript(input.transcriptText)).flatMap(entryTurns));
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
 * Entries on the path from the last entry back to the root (following
 * parentUuid, and logicalParentUuid across a compaction). Where the path
 * reaches a parent that is not in the text (the caller read from mid-file, or
 * a line was corrupt) the entries before that point are kept: their branch
 * cannot be told.
 */
function activeBranch(entries: Entry[]): Entry[] {
  const byUuid = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (typeof entry.uuid === 'string') byUuid.set(entry.uuid, index);
  });
  const leaf = entries.findLastIndex((e) => typeof e.uuid === 'string' && e.isSidechain !== true);
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
  return entries.filter((e, index) => index < keepBefore || typeof e.uuid !== 'string' || onBranch.has(index));
}

function parentOf(entry: Entry): string | undefined {
  if (typeof entry.parentUuid === 'string') return entry.parentUuid;
  return typeof entry.logicalParentUuid === 'string' ? entry.logicalParentUuid : undefined;
}

function entryTurns(entry: Entry): Turn[] {
  if (entry.isSidechain === true || !isPlainObject(entry.message)) return [];
  const content = entry.message.content;
  if (entry.type === 'user') return isInjected(entry) ? [] : [...toolErrorTurns(content), ...textTurn('USER', userText(content))];
  if (entry.type === 'assistant') return assistantTurns(content);
  return [];
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
  return typeof salient === 'string' ? salient : JSON.stringify(input);
}

/** The pinned tool_use id; failing that the last Skill call for the ref; else undefined. */
function findInvocation(turns: Turn[], toolUseId: string | null | undefined, skillRef: string): number | undefined {
  if (toolUseId) {
    const pinned = turns.findIndex((t) => t.tool?.id === toolUseId);
    if (pinned >= 0) return pinned;
  }
  const latest = turns.findLastIndex((t) => t.tool?.name === 'Skill' && t.tool.skill === skillRef);
  return latest >= 0 ? latest : undefined;
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
