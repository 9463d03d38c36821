// A session starts (Claude Code's and Codex's SessionStart hook; pi's
// `session_start` event): windows idle too long are forgotten, a resumed
// session's window reopens, the skills the session loaded are snapshotted
// (before this session's pull: see session-skills.ts), and the pull and the
// attribution run in a detached process (dist/hook-session-start.mjs), or here
// when SKILLOPT_SESSION_START_WAIT=1. A flusher starts when events or
// judgments are waiting.
import { fileURLToPath } from 'node:url';
import { emptyManifest } from '../core/manifest';
import { DEFAULT_RESUME_GRACE_MS } from '../core/limits';
import type { HookPayload } from '../agents/hook-payload';
import { AGENTS } from '../agents/registry';
import { listOutbox } from '../local/outbox/files';
import { judgmentsPending } from '../local/outbox/pending-judgments';
import { servedQueue } from '../local/judgment-queue';
import type { HookContext } from './context';
import { readManifest } from './handlers';
import { pruneStaleHints, reopenHint } from './hint';
import type * as SessionStartModule from './session-start-process';
import type { SessionStartJob } from './session-start-process';
import { snapshotSessionSkills } from './session-skills';
import { ensureFlusher, spawnDetachedNode } from './spawn';

/** `dist` holds the session-start bundle beside the one running this. */
const sibling = (name: string): URL => new URL(`./${name}`, import.meta.url);

export async function onSessionStart(payload: HookPayload, ctx: HookContext): Promise<void> {
  const { settings, log } = ctx;
  pruneStaleHints(settings.home, settings.idleTimeoutMs);
  if (payload.source === 'resume' && payload.session_id) reopenHint(settings.home, payload.session_id, ctx.now(), DEFAULT_RESUME_GRACE_MS);
  const cwd = payload.cwd || process.cwd();
  // What this session runs is what is installed now, before its own pull (see session-skills.ts).
  const inContext =
    payload.session_id && payload.source !== 'compact'
      ? snapshotSessionSkills(settings.home, payload.session_id, readManifest(settings.home) ?? emptyManifest(), AGENTS[ctx.agent].skillRoots({ home: settings.userHome, cwd, env: ctx.env }))
      : [];
  const job: SessionStartJob | undefined =
    settings.autopull || settings.attribution ? { agent: ctx.agent, payload: { session_id: payload.session_id, cwd, source: payload.source }, inContext } : undefined;
  if (job && settings.sessionStartWait) {
    // Opt-in: do the pull and the attribution here (the session waits).
    const { runSessionStart } = (await import(sibling('hook-session-start.mjs').href)) as typeof SessionStartModule;
    await runSessionStart(job.payload, ctx, job.inContext);
  }
  // The processes started last: the hook lowers its own priority to start them at the background one (spawn.ts).
  const lowPriority = settings.backgroundPriority === 'low';
  // Events left by a flusher that gave up while Temporal was down, or judgments this machine still owes,
  // get a new one; on a teammate's machine always: judgments may wait on its queue since it was offline.
  if (
    settings.spawnFlusher &&
    (listOutbox(settings.home).length > 0 || judgmentsPending(settings.home) || servedQueue(settings.home, ctx.env, settings.activityQueue) !== undefined)
  ) {
    await ensureFlusher(settings.home, ctx.flusherPath(), lowPriority, (err) => log.error('could not start the outbox flusher', err));
  }
  if (job && !settings.sessionStartWait) {
    await spawnDetachedNode([fileURLToPath(sibling('hook-session-start.mjs')), JSON.stringify(job)], { lowPriority }, (err) => log.error('could not start the SessionStart job', err));
  }
}
