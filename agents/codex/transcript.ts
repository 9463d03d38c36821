// A Codex CLI rollout ($CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl,
// docs/codex-cli.md) as the judge reads it: a line is `{timestamp, type,
// payload}` with a rollout type, and only `response_item` lines are read: typed
// user text (not the environment context or an injected `<skill>`), assistant
// text, function calls, and the outputs of commands that failed. Codex has no
// skill tool: a shell command that reads `<ref>/SKILL.md` is the invocation, or
// the `<skill>` Codex injected for a `$<ref>` mention.
import { MAX_TOOL_INPUT_CHARS } from '../../core/limits';
import { isPlainObject } from '../../core/model-json';
import { redactSecrets } from '../../core/redact';
import { oneLine, shorten } from '../../core/text';
import { textTurn, toolInput, toolTurn, type Entry, type TranscriptFormat, type Turn } from '../../core/transcript';

export const codexTranscript: TranscriptFormat = {
  recognizes: isCodexLine,
  reader: () => codexTurns,
};

/** The line types of a Codex rollout (`{timestamp, ordinal?, type, payload}`). */
const CODEX_LINE_TYPES = new Set(['session_meta', 'event_msg', 'response_item', 'world_state', 'turn_context', 'token_usage_record', 'compacted']);

/** A Codex rollout line: a Claude Code entry never has a `payload` and its types are user/assistant/system/…. */
export function isCodexLine(entry: Entry): boolean {
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
  return command === undefined || !turn.tool ? turn : { ...turn, tool: { ...turn.tool, reads: command } };
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
