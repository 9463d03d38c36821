// OpenCode's hook entry: a plugin OpenCode loads into its own process
// (docs/opencode.md §2), bundled alone into dist/opencode-plugin.mjs, which the
// file `hooks install --agent opencode` writes into OpenCode's plugins folder
// loads. OpenCode awaits every hook but `event`, and a hook that throws fails
// the user's prompt or tool call, so each handler catches everything (problems
// go to <SKILLOPT_HOME>/hooks.log), returns nothing to OpenCode (no prompt,
// tool result or output is changed) and prints nothing; the work is a few local
// files, and the pull and the flusher run as detached Node processes.
//
//   event session.created   SessionStart (a new session; not a subagent's child session)
//   chat.message            UserPromptSubmit, named by the prompt's message id; the first prompt
//                           of a session this process did not create (`opencode run -s <id>`,
//                           one picked in the TUI) is a resume first: SessionStart `resume`
//   tool.execute.after      PreToolUse: the `skill` tool's result (only called when the tool
//                           succeeded), named by the model's tool-call id, with the folder
//                           OpenCode loaded (its metadata.dir)
//   dispose                 SessionEnd for every session this process saw: OpenCode has no
//                           session-end event; `opencode run` disposes its instance when the run
//                           ends, the TUI when it quits
//
// A killed OpenCode (SIGKILL) disposes nothing: its window closes after K reactions, at the
// session's next invocation, or on the idle timer; a later prompt in the session reopens it
// within the resume grace.
import { fileURLToPath } from 'node:url';
import type { HookPayload } from '../agents/hook-payload';
import { openCodeDatabasePath } from '../agents/opencode/agent';
import { openHookLog } from '../local/hook-log';
import type { HookContext } from './context';
import { onPreToolUse, onSessionEnd, onUserPromptSubmit } from './handlers';
import { onSessionStart } from './session-open';
import { readHookSettings } from './settings';
import { runningInsideAgent, useNodeBinary } from './spawn';

/** The part of OpenCode's PluginInput used here. */
export interface OpenCodePluginInput {
  directory?: unknown;
}

/** The hooks this plugin returns (OpenCode 1.18's Hooks; each input checked: it is OpenCode's to change). */
export interface OpenCodeHooks {
  event(input: { event?: { type?: unknown; properties?: unknown } }): Promise<void>;
  'chat.message'(input: { sessionID?: unknown }, output: { message?: { id?: unknown }; parts?: unknown }): Promise<void>;
  'tool.execute.after'(input: { tool?: unknown; sessionID?: unknown; callID?: unknown; args?: unknown }, output: { metadata?: unknown }): Promise<void>;
  dispose(): Promise<void>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function hookContext(event: string): HookContext | undefined {
  const settings = readHookSettings(process.env);
  // SKILLOPT_INTERNAL: skillopt's own OpenCode runs (judge, proposer) load no plugin (--pure); a second guard.
  if (settings.disabled || settings.internal) return undefined;
  return {
    agent: 'opencode',
    // In OpenCode's process: no pull waited for (it prints); what it starts is lowered, not OpenCode (runningInsideAgent).
    settings: { ...settings, sessionStartWait: false },
    log: openHookLog(settings.home, `opencode ${event}`, settings.debug),
    env: process.env,
    now: Date.now,
    flusherPath: () => fileURLToPath(new URL('./flusher.mjs', import.meta.url)),
  };
}

/** Runs one hook's work; whatever goes wrong is logged, never thrown into OpenCode. */
async function quietly(event: string, work: (hook: HookContext) => Promise<unknown>): Promise<void> {
  let hook: HookContext | undefined;
  try {
    hook = hookContext(event);
    if (!hook) return;
    const result = await work(hook);
    if (result !== undefined) hook.log.debug(`${event}: ${String(result)}`);
  } catch (err) {
    try {
      (hook?.log ?? openHookLog(readHookSettings(process.env).home, `opencode ${event}`, false)).error(`opencode ${event}`, err);
    } catch {
      // Nowhere left to report to; OpenCode goes on.
    }
  }
}

/** A hook that can throw nothing into OpenCode, whatever it is handed (each body's own work is logged by `quietly`). */
function guarded<A extends unknown[]>(hook: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await hook(...args);
    } catch {
      // An input of a shape OpenCode never sent before: skillopt misses this event, OpenCode goes on.
    }
  };
}

/** What the user typed: the prompt's text parts, not those OpenCode added itself. */
function promptText(parts: unknown): string | undefined {
  if (!Array.isArray(parts)) return undefined;
  const texts = parts.filter((p): p is Record<string, unknown> => isObject(p) && p.type === 'text' && typeof p.text === 'string' && p.synthetic !== true).map((p) => p.text as string);
  return texts.length > 0 ? texts.join('\n') : undefined;
}

export default async function skilloptOpenCodePlugin(input: OpenCodePluginInput, options?: { node?: unknown }): Promise<OpenCodeHooks> {
  runningInsideAgent();
  try {
    if (typeof options?.node === 'string' && options.node !== '') useNodeBinary(options.node);
  } catch {
    // Without it the background processes do not start; the events stay in the outbox.
  }
  const cwd = str(input?.directory) ?? process.cwd();
  /** Sessions this process started or continued: each ends when it disposes. */
  const seen = new Set<string>();
  /** Subagents' sessions (the task tool): their prompts are the model's, not the user's. */
  const children = new Set<string>();
  const session = (sessionId: string): HookPayload => ({ session_id: sessionId, cwd, transcript_path: openCodeDatabasePath(process.env) });

  return {
    event: guarded(async (hookInput) => {
      const event = isObject(hookInput) && isObject(hookInput.event) ? hookInput.event : undefined;
      if (event?.type !== 'session.created' || !isObject(event.properties) || !isObject(event.properties.info)) return;
      const info = event.properties.info;
      const id = str(info.id);
      if (!id) return;
      if (str(info.parentID)) {
        children.add(id);
        return;
      }
      if (seen.has(id)) return;
      seen.add(id);
      await quietly('session.created', (hook) => onSessionStart({ ...session(id), source: 'startup' }, hook));
    }),
    'chat.message': guarded(async (hookInput, output) => {
      const id = str(hookInput?.sessionID);
      const prompt = promptText(output?.parts);
      if (!id || children.has(id) || prompt === undefined) return;
      if (!seen.has(id)) {
        seen.add(id);
        await quietly('chat.message', (hook) => onSessionStart({ ...session(id), source: 'resume' }, hook));
      }
      const promptId = str(output?.message?.id);
      await quietly('chat.message', (hook) => onUserPromptSubmit({ ...session(id), prompt, ...(promptId ? { prompt_id: promptId } : {}) }, hook));
    }),
    'tool.execute.after': guarded(async (hookInput, output) => {
      const id = str(hookInput?.sessionID);
      if (hookInput?.tool !== 'skill' || !id || children.has(id)) return;
      const args = isObject(hookInput.args) ? hookInput.args : {};
      const dir = isObject(output?.metadata) ? str(output.metadata.dir) : undefined;
      const callId = str(hookInput.callID);
      const payload: HookPayload = { ...session(id), tool_name: 'skill', tool_input: { name: args.name, ...(dir ? { dir } : {}) }, ...(callId ? { tool_use_id: callId } : {}) };
      await quietly('tool.execute.after', (hook) => onPreToolUse(payload, hook));
    }),
    dispose: guarded(async () => {
      for (const id of seen) await quietly('dispose', (hook) => onSessionEnd({ ...session(id), reason: 'other' }, hook));
      seen.clear();
    }),
  };
}
