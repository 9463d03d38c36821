// Copilot CLI's session log (<COPILOT_HOME>/session-state/<id>/events.jsonl,
// docs/copilot-cli.md §3) as the judge reads it: one record per line,
// `{type, data, id, timestamp, parentId}`, the types dotted (`user.message`,
// `assistant.message`, `tool.execution_complete`, `hook.start`…). What was
// said: `user.message` (`content`, as typed), `assistant.message` (`content`
// and `toolRequests`), and the calls that failed (`tool.execution_complete`
// with `success: false`). A `skill` call is the invocation; so is a prompt
// typed as `/<name>` that Copilot expanded (its `transformedContent` holds the
// skill's `<skill-context>`). The hooks pin a skill call by its postToolUse
// timestamp (agents/copilot/agent.ts): the `hook.start` record of that hook
// carries it, after the call's `tool.execution_start`, so the call's turn gets
// that id. Hook, usage, system-prompt and session records are not turns.
import { MAX_TOOL_INPUT_CHARS } from '../../core/limits';
import { isPlainObject } from '../../core/model-json';
import { redactSecrets } from '../../core/redact';
import { oneLine, shorten } from '../../core/text';
import { describeToolInput, textTurn, type Entry, type TranscriptFormat, type Turn } from '../../core/transcript';
import { copilotInvocationId } from './agent';

/** `session.start`, `tool.execution_complete`…: Copilot's record types. */
const DOTTED_TYPE = /^[a-z_]+(?:\.[a-z_]+)+$/;

function isCopilotLine(entry: Entry): boolean {
  return typeof entry.type === 'string' && DOTTED_TYPE.test(entry.type) && isPlainObject(entry.data) && typeof entry.id === 'string' && 'parentId' in entry;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The tool the judge is shown: Copilot's `skill` is the Skill tool the window is found by. */
const TOOL_NAMES: Record<string, string> = { skill: 'Skill' };
/** The argument of a tool that may read a file: a SKILL.md read this way is an invocation too. */
const READS: Record<string, string> = { view: 'path', bash: 'command' };

export const copilotTranscript: TranscriptFormat = {
  recognizes: isCopilotLine,
  reader(entries) {
    const pinned = pinnedCallIds(entries);
    return (entry) => {
      const data = entry.data as Entry;
      switch (entry.type) {
        case 'user.message':
          return userTurns(data);
        case 'assistant.message':
          return assistantTurns(data, pinned);
        case 'tool.execution_complete':
          return data.success === false ? [failedCall(data)] : [];
        default:
          return [];
      }
    };
  },
};

/**
 * Each call's pinned id, by its toolCallId: a postToolUse `hook.start` names the tool and arguments of the
 * call it ran for, and comes after that call's `tool.execution_start`; the earliest such call not yet paired is it.
 */
function pinnedCallIds(entries: Entry[]): Map<string, string> {
  const started: { id: string; key: string }[] = [];
  const pinned = new Map<string, string>();
  for (const entry of entries) {
    const data = entry.data as Entry;
    if (entry.type === 'tool.execution_start' && typeof data.toolCallId === 'string') {
      started.push({ id: data.toolCallId, key: callKey(data.toolName, data.arguments) });
    } else if (entry.type === 'hook.start' && data.hookType === 'postToolUse' && isPlainObject(data.input) && typeof data.input.timestamp === 'number') {
      const key = callKey(data.input.toolName, data.input.toolArgs);
      const at = started.findIndex((s) => s.key === key && !pinned.has(s.id));
      if (at >= 0) pinned.set(started[at]!.id, copilotInvocationId(data.input.timestamp));
    }
  }
  return pinned;
}

const callKey = (name: unknown, args: unknown): string => JSON.stringify([name, args ?? null]);

/** The prompt as typed; `/<name> [args]` that Copilot expanded into the skill is the skill's invocation. */
function userTurns(data: Entry): Turn[] {
  const content = str(data.content) ?? '';
  const named = /^\/(\S+)/.exec(content.trimStart())?.[1];
  if (named && str(data.transformedContent)?.includes(`<skill-context name="${named}"`)) {
    const text = shorten(oneLine(redactSecrets(content.trim().slice(1))), MAX_TOOL_INPUT_CHARS);
    return [{ role: 'USER', text, tool: { id: '', name: 'Skill', skill: named } }];
  }
  return textTurn('USER', content);
}

function assistantTurns(data: Entry, pinned: Map<string, string>): Turn[] {
  const turns = textTurn('ASSISTANT', str(data.content) ?? '');
  for (const request of Array.isArray(data.toolRequests) ? data.toolRequests : []) {
    if (!isPlainObject(request)) continue;
    const name = str(request.name) ?? 'unknown';
    const callId = str(request.toolCallId) ?? '';
    const args = request.arguments;
    const shown = TOOL_NAMES[name] ?? name;
    const skill = name === 'skill' && isPlainObject(args) ? str(args.skill) : undefined;
    const field = READS[name];
    const reads = field && isPlainObject(args) ? str(args[field]) : undefined;
    const text = shorten(oneLine(redactSecrets(skill ?? (reads !== undefined ? reads : describeToolInput(name, args)))), MAX_TOOL_INPUT_CHARS);
    turns.push({ role: 'ASSISTANT', text, tool: { id: pinned.get(callId) ?? callId, name: shown, ...(skill ? { skill } : {}), ...(reads !== undefined ? { reads } : {}) } });
  }
  return turns;
}

function failedCall(data: Entry): Turn {
  const error = isPlainObject(data.error) ? str(data.error.message) : undefined;
  const text = shorten(oneLine(redactSecrets(error ?? 'failed')), MAX_TOOL_INPUT_CHARS);
  return { role: 'USER', text, errorOf: { id: str(data.toolCallId) ?? '', name: 'unknown' } };
}
