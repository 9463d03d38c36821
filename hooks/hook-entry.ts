// `skillopt hook <Event> [--agent <name>]`: the entry of the agents whose hooks
// are commands (Claude Code, Codex, Gemini CLI, Copilot CLI; each agent's
// module turns its own events and JSON into these: Agent.hookPayload), bundled
// alone into dist/hook.cjs (the command `hooks install` writes; bin/skillopt.js
// loads it for `skillopt hook`, without the CLI). Every run exits 0,
// prints nothing and ends in bounded time, whatever the payload, the store or
// Temporal do: problems go to <SKILLOPT_HOME>/hooks.log.
//
// Every event loads only this file (Node built-ins, no npm package).
// SessionStart snapshots the session's skills and hands the pull and the
// attribution to its own bundle (dist/hook-session-start.mjs: the store and
// pull), run as a detached process. Nothing at the top loads node:child_process
// (hooks/spawn.ts): it costs every prompt a few ms; a test keeps it out.
import { fileURLToPath } from 'node:url';
import type { HookContext } from './context';
import { AGENTS, AGENT_NAMES, isAgentName } from '../agents/registry';
import { onPreToolUse, onSessionEnd, onUserPromptExpansion, onUserPromptSubmit } from './handlers';
import { onSessionStart } from './session-open';
import { openHookLog } from '../local/hook-log';
import { payloadFrom } from '../agents/hook-payload';
import { readHookSettings } from './settings';
import { readStdin, readStillPending } from './stdin';

/**
 * SessionStart's hard stop: the pull budget plus the attribution's own cap and
 * some slack, inside the 30 s timeout `hooks install` writes. The other hooks
 * need none: after stdin (which has its own deadline) they only do local file
 * operations, and a timer would cost their start-up a fifth of a millisecond.
 */
const SESSION_START_EXTRA_MS = 4_000;

/**
 * Exit 0 now. A read of stdin still blocked on the thread pool would make
 * process.exit wait for it forever; only a sender that neither ends its line
 * nor closes the pipe causes that, and then the process is killed instead.
 */
function exit(): void {
  if (readStillPending()) process.kill(process.pid, 'SIGKILL');
  process.exit(0);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // `hook <Event> [--agent <name>]` (hooks install writes it; `skillopt hook …` passes the same words).
  const words = args[0] === 'hook' ? args.slice(1) : args;
  const event = words[0] ?? '';
  const agentAt = words.indexOf('--agent');
  const agentName = agentAt < 0 ? 'claude' : words[agentAt + 1];
  const settings = readHookSettings(process.env);
  const log = openHookLog(settings.home, event || 'hook', settings.debug);
  process.on('uncaughtException', (err) => {
    log.error('uncaught', err);
    exit();
  });
  process.on('unhandledRejection', (err) => {
    log.error('unhandled rejection', err);
    exit();
  });

  // Read even when disabled: Claude Code is writing the payload into our stdin.
  const input = await readStdin();
  // SKILLOPT_INTERNAL: skillopt's own `claude -p` (judge, proposer) must not pull, record or arm.
  if (settings.disabled || settings.internal) return;
  if (!isAgentName(agentName)) {
    log.error(`${event}: unknown agent ${JSON.stringify(agentName ?? '')} (hook … --agent ${AGENT_NAMES.join('|')})`);
    return;
  }
  const agent = agentName;
  const payload = (AGENTS[agent].hookPayload ?? payloadFrom)(input.json);
  if (!payload) {
    log.error(`${event}: no JSON object on stdin (${input.text.length} chars${input.complete ? '' : ', cut short'})`);
    return;
  }
  const ctx: HookContext = {
    agent,
    settings,
    log,
    env: process.env,
    now: Date.now,
    flusherPath: () => fileURLToPath(new URL('./flusher.mjs', import.meta.url)),
  };
  switch (event) {
    case 'PreToolUse':
      log.debug(`PreToolUse: ${await onPreToolUse(payload, ctx)}`);
      return;
    case 'UserPromptSubmit':
      log.debug(`UserPromptSubmit: ${await onUserPromptSubmit(payload, ctx)}`);
      return;
    case 'UserPromptExpansion':
      log.debug(`UserPromptExpansion: ${await onUserPromptExpansion(payload, ctx)}`);
      return;
    case 'SessionEnd':
      await onSessionEnd(payload, ctx);
      return;
    case 'SessionStart': {
      const watchdogMs = settings.autopullTimeoutMs + SESSION_START_EXTRA_MS;
      setTimeout(() => {
        log.error(`SessionStart hook stopped after ${watchdogMs} ms`);
        exit();
      }, watchdogMs).unref();
      await onSessionStart(payload, ctx);
      return;
    }
    default:
      log.error(`unknown hook event "${event}"`);
  }
}

main()
  .catch((err: unknown) => {
    try {
      openHookLog(readHookSettings(process.env).home, 'hook', false).error('hook failed', err);
    } catch {
      // Never let a logging problem change the exit status.
    }
  })
  .finally(exit);
