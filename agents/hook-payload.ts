// The JSON Claude Code or Codex sends a hook on stdin (the same shape; see the
// hooks reference, §3, docs/claude-code.md and docs/codex-cli.md).
// Every field is optional here: a payload is untrusted input, and a missing or
// mistyped field makes the hook do nothing rather than fail.

export interface HookPayload {
  session_id?: string;
  transcript_path?: string;
  cwd?: string;
  hook_event_name?: string;
  /** SessionStart: startup | resume | clear | compact. */
  source?: string;
  /** SessionEnd: other | clear | prompt_input_exit | … */
  reason?: string;
  /** UserPromptSubmit. */
  prompt?: string;
  /** Claude Code, UserPromptSubmit onward: one id per user prompt (the transcript's promptId). */
  prompt_id?: string;
  /** Codex, every event but SessionStart: one id per turn (a prompt starts one). */
  turn_id?: string;
  /** Claude Code, UserPromptExpansion (a prompt-type slash command the user typed): slash_command | mcp_prompt. */
  expansion_type?: string;
  /** UserPromptExpansion: the command without its slash (a skill's name: its folder). */
  command_name?: string;
  command_args?: string;
  /** UserPromptExpansion: where the command was loaded from (userSettings, projectSettings, plugin, …). */
  command_source?: string;
  /** PreToolUse. */
  tool_name?: string;
  tool_input?: Record<string, unknown>;
  tool_use_id?: string;
}

const STRING_FIELDS = ['session_id', 'transcript_path', 'cwd', 'hook_event_name', 'source', 'reason', 'prompt', 'prompt_id', 'turn_id', 'expansion_type', 'command_name', 'command_args', 'command_source', 'tool_name', 'tool_use_id'] as const;

/** The payload's known fields with the right types; undefined when the text is not a JSON object. */
export function parsePayload(text: string): HookPayload | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  return payloadFrom(data);
}

/** The same, from JSON already parsed. */
export function payloadFrom(data: unknown): HookPayload | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const raw = data as Record<string, unknown>;
  const payload: HookPayload = {};
  for (const key of STRING_FIELDS) {
    const value = raw[key];
    if (typeof value === 'string') payload[key] = value;
  }
  const input = raw.tool_input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) payload.tool_input = input as Record<string, unknown>;
  return payload;
}
