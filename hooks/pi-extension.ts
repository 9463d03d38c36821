// pi's hook entry: a pi extension (docs/pi.md), bundled alone into
// dist/pi-extension.mjs, which the file `hooks install --agent pi` writes into
// pi's extensions folder re-exports. It runs inside pi's own process, so there is
// no process to start: each event becomes the payload Claude Code's hooks get and
// goes to the same handlers, which only read and write a few local files and
// spool signals to the outbox. Nothing is returned to pi (no tool result or
// prompt is changed), nothing is printed, and nothing thrown reaches pi: problems
// go to <SKILLOPT_HOME>/hooks.log.
//
//   session_start     SessionStart (startup, new, resume, fork; not reload: the same session); a
//                     session whose file is already there was continued (`pi -c`, `--session`), which
//                     pi also calls startup: a resume, whose window reopens
//   tool_result       PreToolUse: a `read` (or `bash`) that succeeded, named by its tool-call id
//   input             UserPromptSubmit: what the user typed (not text an extension sent)
//   session_shutdown  SessionEnd (quit, new, resume, fork; not reload)
//
// pi sends session_shutdown when `pi -p` ends normally and when the user quits, not
// when it is killed by SIGINT (print mode) or SIGTERM/SIGHUP (interactive): a window
// left open then closes after K reactions, at the session's next invocation, or on
// the idle timer. A `pi -p --session <file>` that continues the session within the
// grace reopens it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HookPayload } from '../agents/hook-payload';
import { openHookLog } from '../local/hook-log';
import type { HookContext } from './context';
import { derivedEventId } from './event-id';
import { onPreToolUse, onSessionEnd, onUserPromptSubmit } from './handlers';
import { onSessionStart } from './session-open';
import { readHookSettings } from './settings';
import { runningInsideAgent } from './spawn';

/** The part of pi's ExtensionContext used here (pi 0.73: ctx.cwd, ctx.sessionManager). */
interface PiContext {
  cwd: string;
  sessionManager: { getSessionId(): string; getSessionFile(): string | undefined; getLeafId(): string | null };
}

/** The events handled, with the fields read (each checked: an extension's input is pi's to change). */
interface PiEvents {
  session_start: { reason?: string };
  session_shutdown: { reason?: string };
  tool_result: { toolName?: string; toolCallId?: string; input?: Record<string, unknown>; isError?: boolean };
  input: { text?: string; source?: string };
}

/** The part of pi's ExtensionAPI used here. */
export interface PiExtensionApi {
  on<E extends keyof PiEvents>(event: E, handler: (event: PiEvents[E], ctx: PiContext) => Promise<undefined> | undefined): void;
}

/** pi's session_start/shutdown reasons, as SessionStart's `source`: a new or forked session starts afresh. */
const START_SOURCE: Record<string, string> = { startup: 'startup', new: 'startup', fork: 'startup', resume: 'resume' };

function hookContext(event: string): HookContext | undefined {
  const settings = readHookSettings(process.env);
  // SKILLOPT_INTERNAL: skillopt's own pi runs (judge, proposer) load no extension; a second guard.
  if (settings.disabled || settings.internal) return undefined;
  return {
    agent: 'pi',
    // The pull and attribution never run in pi's process (SKILLOPT_SESSION_START_WAIT): they silence stdout, pi's answer.
    // What it starts is lowered to the background priority, never pi itself (runningInsideAgent).
    settings: { ...settings, sessionStartWait: false },
    log: openHookLog(settings.home, `pi ${event}`, settings.debug),
    env: process.env,
    now: Date.now,
    flusherPath: () => fileURLToPath(new URL('./flusher.mjs', import.meta.url)),
  };
}

/** The session as every payload names it: its id, its JSONL (none with --no-session), its folder. */
function sessionFields(ctx: PiContext): HookPayload {
  const file = ctx.sessionManager.getSessionFile();
  return { session_id: ctx.sessionManager.getSessionId(), cwd: ctx.cwd, ...(file ? { transcript_path: file } : {}) };
}

/** Runs one event's work; whatever goes wrong is logged, never thrown into pi. */
async function quietly(event: string, work: (hook: HookContext) => Promise<unknown>): Promise<undefined> {
  let hook: HookContext | undefined;
  try {
    hook = hookContext(event);
    if (!hook) return undefined;
    const result = await work(hook);
    if (result !== undefined) hook.log.debug(`${event}: ${String(result)}`);
  } catch (err) {
    try {
      (hook?.log ?? openHookLog(readHookSettings(process.env).home, `pi ${event}`, false)).error(`pi ${event}`, err);
    } catch {
      // Nowhere left to report to; pi goes on.
    }
  }
  return undefined;
}

export default function skilloptPiExtension(pi: PiExtensionApi): void {
  runningInsideAgent();
  pi.on('session_start', (event, ctx) => {
    const session = sessionFields(ctx);
    // pi writes a new session's file at its first reply: one already there is a continued session.
    const source = session.transcript_path && existsSync(session.transcript_path) ? 'resume' : START_SOURCE[event.reason ?? 'startup'];
    if (!source) return undefined;
    return quietly('session_start', (hook) => onSessionStart({ ...session, source }, hook));
  });
  pi.on('tool_result', (event, ctx) => {
    if (event.isError === true || (event.toolName !== 'read' && event.toolName !== 'bash')) return undefined;
    const payload: HookPayload = { ...sessionFields(ctx), tool_name: event.toolName, tool_input: event.input ?? {}, ...(event.toolCallId ? { tool_use_id: event.toolCallId } : {}) };
    return quietly('tool_result', (hook) => onPreToolUse(payload, hook));
  });
  pi.on('input', (event, ctx) => {
    if (event.source === 'extension' || typeof event.text !== 'string') return undefined;
    // One id per prompt, the same in every copy of this extension pi loads (user and project): the
    // session's last entry before it, and its text (a prompt an extension handled adds no entry).
    const promptId = derivedEventId('pi-prompt', ctx.sessionManager.getSessionId(), ctx.sessionManager.getLeafId() ?? '', event.text);
    return quietly('input', (hook) => onUserPromptSubmit({ ...sessionFields(ctx), prompt: event.text, prompt_id: promptId }, hook));
  });
  pi.on('session_shutdown', (event, ctx) => {
    if (event.reason === 'reload') return undefined;
    return quietly('session_shutdown', (hook) => onSessionEnd({ ...sessionFields(ctx), reason: event.reason ?? 'other' }, hook));
  });
}
