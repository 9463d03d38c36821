// SessionStart, bundled separately (dist/hook-session-start.mjs) because it
// needs the store: auto-pull the org skills into the agent's skills folder (or
// the folders it reads that they were pulled into, the agents' shared one) within
// a time budget (for the next session: the agent has read its skills already), then record which org
// skills (and versions) this session has in context, with its A/B bucket. Nothing is printed: SessionStart's stdout would reach the model.
import { abBucket } from '../core/bucket';
import { AGENTS } from '../agents/registry';
import { sessionPullRoots } from '../agents/skills-in-context';
import { readManifest } from './handlers';
import { currentUser } from '../local/home';
import { pullSkills } from '../sync/pull-skills';
import { openBackend } from '../team/open';
import type { SkillSource } from '../team/skill-source';
import type { HookContext } from './context';
import type { HookPayload } from '../agents/hook-payload';
import type { SkillInContext } from './session-skills';

/** Recording the attribution row gets this long after the pull (its own budget: the row matters more). */
export const ATTRIBUTION_TIMEOUT_MS = 2_000;

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Libraries must not print either: console output would go to stdout, i.e. to the model. */
function silenceStdout(ctx: HookContext): void {
  const toLog = (...args: unknown[]): void => ctx.log.debug(`console: ${args.map(String).join(' ')}`);
  console.log = toLog;
  console.info = toLog;
  console.debug = toLog;
  console.warn = toLog;
  console.error = toLog;
  process.stdout.write = (() => true) as typeof process.stdout.write;
}

/** `inContext`: the org skills the session loaded, snapshotted before this pull. */
export async function runSessionStart(payload: HookPayload, ctx: HookContext, inContext: SkillInContext[]): Promise<void> {
  const { settings, log } = ctx;
  silenceStdout(ctx);
  // A compaction continues the same session with the same skills: nothing new to pull or record.
  if (payload.source === 'compact') return;
  if (!settings.autopull && !settings.attribution) return;
  const cwd = payload.cwd || process.cwd();

  // The store, or the central worker through Temporal on a teammate's machine (team/open.ts decides).
  const opened = openBackend({ env: ctx.env, cwd });
  // Whether the team's skills answered within the pull's budget: the attribution is recorded only then.
  let reached = false;
  // Every read of the pull goes to the backend (a class: its methods are not own properties to spread); `list` also notes the answer.
  const source = opened.then(
    (backend): SkillSource => ({
      current: (ref) => backend.current(ref),
      getVersion: (ref, version) => backend.getVersion(ref, version),
      history: (ref) => backend.history(ref),
      transitions: (ref) => backend.transitions(ref),
      contents: (hashes) => backend.contents(hashes),
      signers: (ref) => backend.signers(ref),
      list: async (user, known) => {
        const listed = await backend.list(user, known);
        reached = true;
        return listed;
      },
    }),
  );

  if (settings.autopull) {
    const controller = new AbortController();
    const roots = sessionPullRoots(AGENTS[ctx.agent], readManifest(settings.home), { home: settings.userHome, cwd, env: ctx.env });
    const pull = source.then(async (s) => {
      const reports = [];
      for (const root of roots) {
        reports.push(await pullSkills({ source: s, agent: ctx.agent, root, user: currentUser(ctx.env), scope: 'user', home: settings.userHome, env: ctx.env, skilloptHome: settings.home, signal: controller.signal }));
      }
      return reports;
    });
    try {
      const reports = await withTimeout(pull, settings.autopullTimeoutMs, 'auto-pull');
      for (const item of reports.flatMap((r) => r.items)) {
        if (item.status === 'failed' || item.status === 'refused') log.error(`auto-pull: ${item.ref}: ${item.reason ?? item.status}`);
      }
    } catch (err) {
      // Stops between skills; a skill being written finishes atomically or not at all.
      controller.abort();
      pull.catch(() => undefined);
      log.error('auto-pull', err);
    }
  }

  // A store that did not even open within the pull's budget would only stall the session further.
  if (settings.attribution && payload.session_id && (reached || !settings.autopull)) {
    const sessionId = payload.session_id;
    const recorded = opened.then((backend) =>
      backend.recordAttribution({
      sessionId,
      user: currentUser(ctx.env),
      cwd,
      agent: AGENTS[ctx.agent].id,
      abBucket: abBucket(sessionId),
        skills: inContext,
      }),
    );
    try {
      await withTimeout(recorded, ATTRIBUTION_TIMEOUT_MS, 'recording the attribution');
    } catch (err) {
      recorded.catch(() => undefined);
      log.error('attribution', err);
    }
  }

  await withTimeout(
    opened.then((backend) => backend.close()),
    500,
    'closing the store or the Temporal connection',
  ).catch(() => undefined);
}
