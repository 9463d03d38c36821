// dist/hook-session-start.mjs: SessionStart's pull and attribution. The hook
// snapshots the session's skills, then runs this as a detached process and
// returns at once: Claude Code has read its skills before SessionStart runs, so
// the pull only serves the next session and nobody should wait for it (or for a
// slow database). With SKILLOPT_SESSION_START_WAIT=1 the hook imports it and
// waits instead.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAgentName, type AgentName } from '../agents/registry';
import type { HookContext } from './context';
import { openHookLog } from '../local/hook-log';
import type { HookPayload } from '../agents/hook-payload';
import { runSessionStart } from './session-start';
import type { SkillInContext } from './session-skills';
import { readHookSettings } from './settings';

export { runSessionStart };

export interface SessionStartJob {
  agent: AgentName;
  payload: HookPayload;
  inContext: SkillInContext[];
}

async function runDetached(jobText: string): Promise<void> {
  const settings = readHookSettings(process.env);
  const log = openHookLog(settings.home, 'SessionStart', settings.debug);
  const ctx: HookContext = { agent: 'claude', settings, log, env: process.env, now: Date.now, flusherPath: () => '' };
  // Bounded like the hook was: the pull's budget plus the attribution's, then out.
  setTimeout(() => process.exit(0), settings.autopullTimeoutMs + 4_000).unref();
  try {
    const job = JSON.parse(jobText) as SessionStartJob;
    if (isAgentName(job.agent)) ctx.agent = job.agent;
    await runSessionStart(job.payload, ctx, job.inContext);
  } catch (err) {
    log.error('SessionStart (background)', err);
  }
  process.exit(0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void runDetached(process.argv[2] ?? '');
}
