// SessionStart, bundled separately (dist/hook-session-start.mjs) because it
// needs the store: auto-pull the org skills into the agent's skills folder within
// a time budget (for the next session: the agent has read its skills already), then record which org
// skills (and versions) this session has in context, with its A/B bucket. Nothing is printed: SessionStart's stdout would reach the model.
import { abBucket } from '../core/bucket';
import { AGENT_IDS } from '../local/agents';
import { currentUser } from '../local/home';
import { machineMode } from '../local/mode';
import { openStore } from '../store/index';
import type { AttributionRecord, Store } from '../store/types';
import { pullSkills } from '../sync/pull';
import type { TeamConnection } from '../sync/remote';
import { storeSource, type SkillSource } from '../sync/source';
import type { HookContext } from './context';
import type { HookPayload } from './payload';
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

  // A teammate machine has no database: it reads and records through Temporal (the central worker).
  const teammate = machineMode(ctx.env).mode === 'teammate';
  let opened: Promise<Store> | undefined;
  let team: Promise<TeamConnection> | undefined;
  let storeReady = false;
  const store = (): Promise<Store> =>
    (opened ??= openStore({ env: ctx.env, cwd }).then((s) => {
      storeReady = true;
      return s;
    }));
  const openTeam = (): Promise<TeamConnection> =>
    (team ??= import('../sync/remote').then((m) => m.connectTeam(ctx.env)).then((t) => {
      storeReady = true;
      return t;
    }));
  const source = async (): Promise<SkillSource> => (teammate ? (await import('../sync/remote')).remoteSource(await openTeam()) : storeSource(await store(), ctx.env));
  const record = async (row: AttributionRecord): Promise<void> => {
    if (teammate) await (await import('../sync/remote')).sendAttribution(await openTeam(), row);
    else await (await store()).recordAttribution(row);
  };

  if (settings.autopull) {
    const controller = new AbortController();
    const pull = source().then((s) =>
      pullSkills({ source: s, agent: ctx.agent, user: currentUser(ctx.env), scope: 'user', home: settings.userHome, env: ctx.env, skilloptHome: settings.home, signal: controller.signal }),
    );
    try {
      const report = await withTimeout(pull, settings.autopullTimeoutMs, 'auto-pull');
      for (const item of report.items) {
        if (item.status === 'failed') log.error(`auto-pull: ${item.ref}: ${item.reason ?? 'failed'}`);
      }
    } catch (err) {
      // Stops between skills; a skill being written finishes atomically or not at all.
      controller.abort();
      pull.catch(() => undefined);
      log.error('auto-pull', err);
    }
  }

  // A store that did not even open within the pull's budget would only stall the session further.
  if (settings.attribution && payload.session_id && (storeReady || !settings.autopull)) {
    const sessionId = payload.session_id;
    const recorded = record({
      sessionId,
      user: currentUser(ctx.env),
      cwd,
      agent: AGENT_IDS[ctx.agent],
      abBucket: abBucket(sessionId),
      skills: inContext,
    });
    try {
      await withTimeout(recorded, ATTRIBUTION_TIMEOUT_MS, 'recording the attribution');
    } catch (err) {
      recorded.catch(() => undefined);
      log.error('attribution', err);
    }
  }

  if (team) {
    await withTimeout(
      team.then((t) => t.close()),
      500,
      'closing the Temporal connection',
    ).catch(() => undefined);
  }

  if (opened) {
    await withTimeout(
      opened.then((s) => s.close()),
      500,
      'closing the store',
    ).catch(() => undefined);
  }
}
