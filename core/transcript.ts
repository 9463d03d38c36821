// The judge's view of a session: the turns around a skill invocation, read
// from an agent transcript (JSONL), plus the user's reaction. Each agent's
// transcript format is read by its own module (agents/<name>/transcript.ts)
// into the turns defined here, line by line: the format that recognizes a line
// reads it (the last format given reads whatever no other does). What the
// assistant did is shown compactly, since that is what the judge grades: its
// tool calls, and the calls that failed (a blocked call followed by "done" is
// a false claim).
//
// The caller cuts the transcript at the byte length recorded with the
// reaction, so the last line may be half written: lines that do not parse are
// ignored. Secrets are redacted before anything is cut, so a cut cannot expose part of one.
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

/** One parsed JSONL line. */
export type Entry = Record<string, unknown>;

export interface Turn {
  role: 'USER' | 'ASSISTANT';
  text: string;
  /**
   * Set on tool calls (and on a skill invoked by name: `Skill` with the `skill`). `reads`: the raw command or
   * path of a call that may read a file, for finding a read of `<ref>/SKILL.md`.
   */
  tool?: { id: string; name: string; skill?: string; reads?: string };
  /** Set on a failed tool call's result: the id and (once resolved) the name of the call. */
  errorOf?: { id: string; name: string };
}

/** One agent's transcript lines: which it recognizes, and how the lines it recognizes become turns. */
export interface TranscriptFormat {
  recognizes(entry: Entry): boolean;
  /**
   * Given every line of this format in the text (in order), a reader of one
   * line: what needs the whole file (the conversation's active branch) is worked out here, once.
   */
  reader(entries: Entry[]): (entry: Entry) => Turn[];
}

/** The rows of one read-only query (the caller opened the database read-only; parameters are bound, never spliced). */
export type SqlRows = (sql: string, ...params: Array<string | number>) => Entry[];

/**
 * An agent whose sessions are rows of a SQLite database file (OpenCode) rather
 * than a JSONL file: which files are one, and a session as the JSON lines its
 * TranscriptFormat reads. A window's position is then the agent's own (OpenCode:
 * the prompt's time in ms), not a byte length.
 */
export interface TranscriptDatabase {
  /** Whether a file of this name is such a database (`opencode.db`). */
  isDatabase(fileName: string): boolean;
  /** The session's lines written before `end` (the position recorded with the reaction), oldest first, one per line. */
  sessionText(rows: SqlRows, sessionId: string, end: number): string;
}

/** `formats`: the agents' transcript formats; the last reads every line no other recognizes. */
export function buildJudgeWindow(input: JudgeWindowInput, formats: readonly TranscriptFormat[], options: JudgeWindowOptions = {}): JudgeWindow {
  const { before = WINDOW_TURNS_BEFORE, after = WINDOW_TURNS_AFTER, maxChars = MAX_WINDOW_CHARS } = options;
  const turns = nameFailedCalls(transcriptTurns(parseTranscript(input.transcriptText), formats));
  const at = findInvocation(turns, input.toolUseId, input.skillRef);
  const reaction = redactSecrets(input.reaction.trim());
  const selected = withoutEchoedReaction(sliceAround(turns, at ?? turns.length, before, after), reaction);
  const transcriptPart = elide(selected.map(renderTurn).join('\n\n'), maxChars);
  return { window: appendReaction(transcriptPart, reaction), invocationFound: at !== undefined, turns: selected.length };
}

/** The turns of every line, each read by its format, in the order of the lines. */
function transcriptTurns(entries: Entry[], formats: readonly TranscriptFormat[]): Turn[] {
  const fallback = formats.at(-1);
  if (!fallback) return [];
  const formatOf = entries.map((entry) => formats.find((f) => f !== fallback && f.recognizes(entry)) ?? fallback);
  const readers = new Map(formats.map((format) => [format, format.reader(entries.filter((_, i) => formatOf[i] === format))]));
  return entries.flatMap((entry, i) => readers.get(formatOf[i]!)!(entry));
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

/** A message's text: a string, or its `{type: "text", text}` blocks joined by newlines (Claude Code's and pi's content). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((block): block is Entry => isPlainObject(block) && block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('\n');
}

export function textTurn(role: Turn['role'], text: string): Turn[] {
  const trimmed = text.trim();
  return trimmed ? [{ role, text: redactSecrets(trimmed) }] : [];
}

/** Gives each failed result the name of the call it answers. */
function nameFailedCalls(turns: Turn[]): Turn[] {
  const names = new Map<string, string>();
  for (const turn of turns) if (turn.tool) names.set(turn.tool.id, turn.tool.name);
  return turns.map((turn) => (turn.errorOf ? { ...turn, errorOf: { ...turn.errorOf, name: names.get(turn.errorOf.id) ?? 'unknown' } } : turn));
}

export function toolTurn(block: Entry): Turn {
  const name = typeof block.name === 'string' ? block.name : 'unknown';
  const input = toolInput(block.input);
  const skill = name === 'Skill' && isPlainObject(input) && typeof input.skill === 'string' ? input.skill : undefined;
  const text = shorten(oneLine(redactSecrets(describeToolInput(name, input))), MAX_TOOL_INPUT_CHARS);
  return { role: 'ASSISTANT', text, tool: { id: typeof block.id === 'string' ? block.id : '', name, ...(skill ? { skill } : {}) } };
}

/** A tool input given as a JSON string is parsed; the raw string is kept when it does not parse. */
export function toolInput(input: unknown): unknown {
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
  // pi: read, bash, edit, write, grep, find, ls.
  read: 'path',
  bash: 'command',
  edit: 'path',
  write: 'path',
  grep: 'pattern',
  find: 'pattern',
  ls: 'path',
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

export function describeToolInput(name: string, input: unknown): string {
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
    (t) => (t.tool?.name === 'Skill' && t.tool.skill === skillRef) || (t.tool?.reads !== undefined && skillFile.test(t.tool.reads)),
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

