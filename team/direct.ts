// The backend seam on a store this machine holds: the embedded machine and the
// central one (its CLI, and the central worker serving teammates' store
// requests through team/store-requests.ts). The read models beside it
// (skill-report, dashboard-pages, rollout-choice, push-to-store) compose core's
// rules over the store. What belongs to a lane (a decision, the notice of a
// candidate pushed here, status reads) goes through Temporal, opened on first use.
import type { CanaryTrial, SkillSummary, StoredSkillPage } from '../core/dashboard';
import { describeError } from '../core/describe-error';
import type { PushRequest } from '../core/push-rules';
import type { SkillReport } from '../core/report';
import { DEFAULT_CANARY_SETTINGS, requireRolloutDefaults, rolloutDefaultsFromEnv } from '../core/rollout';
import { DEFAULT_ROLLOUT_POLICY, type RolloutDefaults } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import type { CurrentSkill, SkillVersion, Store } from '../store/types';
import type { Published, TeamBackend } from './backend';
import type { TeamConnection } from './connection';
import { skillSummary, storedSkillPage } from './dashboard-pages';
import { pushToStore } from './push-to-store';
import { versionsForUser } from './rollout-choice';
import { skillReport } from './skill-report';

export interface DirectBackendOptions {
  /** The team's rollout policy and canary settings are read from here (SKILLOPT_ROLLOUT, SKILLOPT_CANARY_*). */
  env?: NodeJS.ProcessEnv;
  /** The team's rollout policy and canary settings as given (the central worker's), instead of env's. */
  rollout?: RolloutDefaults;
  /** The team's Temporal, for what belongs to a lane; called on first use. */
  connect?: () => Promise<TeamConnection>;
  /**
   * On the embedded machine, whether `skillopt up` (the lanes' only worker) runs:
   * a candidate pushed while it does not starts its trial when it does.
   */
  upRunning?: () => boolean;
  now?: () => number;
}

/** The direct backend, with the per-skill reads that a store request pages through. */
export interface DirectBackend extends TeamBackend {
  readonly via: 'store';
  /** Every skill's current versions, by name then author. */
  skills(): Promise<CurrentSkill[]>;
  /** Always whole versions: everything is local. */
  list(user: string): Promise<SkillVersion[]>;
  /** The team's rollout defaults; a malformed SKILLOPT_ROLLOUT or SKILLOPT_CANARY_* is a one-line error. */
  rolloutDefaults(): RolloutDefaults;
  reportOf(ref: SkillRef, since: string): Promise<SkillReport | undefined>;
  summaryOf(skill: CurrentSkill): Promise<SkillSummary>;
}

/**
 * The backend on `store`, or on the store `openStore` opens at first use (a
 * status read or a decision never opens it). The dashboard's pages show the
 * defaults and say why when the environment's rollout settings are malformed;
 * every other read refuses.
 */
export function directBackend(store: Store | (() => Promise<Store>), options: DirectBackendOptions = {}): DirectBackend {
  let opened: Promise<Store> | undefined = typeof store === 'function' ? undefined : Promise.resolve(store);
  const db = (): Promise<Store> => (opened ??= (store as () => Promise<Store>)());
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const rolloutDefaults = (): RolloutDefaults => options.rollout ?? requireRolloutDefaults(env);
  const pageDefaults = (): { defaults: RolloutDefaults; note?: string } => {
    if (options.rollout) return { defaults: options.rollout };
    const read = rolloutDefaultsFromEnv(env);
    if (!('error' in read)) return { defaults: read.defaults };
    return { defaults: { policy: DEFAULT_ROLLOUT_POLICY, canary: { ...DEFAULT_CANARY_SETTINGS } }, note: `${read.error}; the defaults are shown` };
  };
  // Loaded on first use: most commands on this machine never need the Temporal client.
  const lanes = () => import('./lanes');
  const visibility = () => import('./visibility');
  let connection: Promise<TeamConnection> | undefined;
  const temporal = (): Promise<TeamConnection> => {
    if (!options.connect) return Promise.reject(new Error('no Temporal connection was given to this store backend'));
    return (connection ??= options.connect());
  };

  /** A candidate written straight to the store is one its lane did not publish: the lane is told, and its trial starts now. */
  async function startTrial(ref: SkillRef, version: number): Promise<string> {
    if (options.upRunning && !options.upRunning()) return 'skillopt up is not running: the canary trial starts when it does';
    try {
      const team = await temporal();
      await (await lanes()).tellLaneOfCandidate(team.client, team.taskQueue, ref, version);
      return 'its lane has started the canary trial';
    } catch (err) {
      return `its lane could not be told (${describeError(err)}); the canary trial starts with the candidate's first verdict`;
    }
  }

  return {
    via: 'store',
    rolloutDefaults,
    skills: async () => (await db()).listCurrent(),
    async current(ref) {
      const s = await db();
      return (await s.stableVersion(ref)) ?? (await s.latestVersion(ref));
    },
    getVersion: async (ref, version) => (await db()).getVersion(ref, version),
    history: async (ref) => (await db()).history(ref),
    transitions: async (ref) => (await db()).transitions(ref),
    list: async (user) => versionsForUser(await db(), user, rolloutDefaults()),
    async publish(request: PushRequest): Promise<Published> {
      const outcome = await pushToStore(await db(), request);
      if (!request.canary || outcome.status === 'refused' || outcome.status === 'up-to-date') return outcome;
      return { ...outcome, trial: await startTrial(request.ref, outcome.version) };
    },
    reportOf: async (ref, since) => skillReport(await db(), ref, since, rolloutDefaults()),
    summaryOf: async (skill) => skillSummary(await db(), skill, rolloutDefaults(), now()),
    async reports({ ref, since }) {
      const [s, defaults] = [await db(), rolloutDefaults()];
      const reports: SkillReport[] = [];
      for (const r of ref ? [ref] : await s.listCurrent()) {
        const report = await skillReport(s, { name: r.name, author: r.author }, since, defaults);
        if (report) reports.push(report);
      }
      return reports;
    },
    async skillSummaries(): Promise<SkillSummary[]> {
      const [s, { defaults }] = [await db(), pageDefaults()];
      return Promise.all((await s.listCurrent()).map((skill) => skillSummary(s, skill, defaults, now())));
    },
    async skillPage(ref: SkillRef, trial?: CanaryTrial): Promise<StoredSkillPage | undefined> {
      const { defaults, note } = pageDefaults();
      const page = await storedSkillPage(await db(), ref, defaults, now(), trial);
      if (page && note) page.rollout.settingsNote ??= note;
      return page;
    },
    async setRollout(ref, { policy, canary, by }) {
      await (await db()).setRolloutSettings(ref, { policy, canary: canary ?? null, updatedBy: by });
    },
    decide: async (ref, decision) => (await lanes()).decideOnLane(await temporal(), ref, decision),
    recordAttribution: async (attribution) => (await db()).recordAttribution(attribution),
    skillsStatus: async (at) => (await visibility()).collectSkills((await temporal()).client, at),
    skillStatus: async (ref, limit) => (await visibility()).collectSkill((await temporal()).client, ref, limit),
    temporal,
    async close() {
      // A store handed in is its owner's to close; one opened here, and the connection, are this backend's.
      const [own, team] = [typeof store === 'function' ? opened : undefined, connection];
      [opened, connection] = [undefined, undefined];
      await Promise.all([own?.then((s) => s.close()), team?.then((c) => c.close())].map((p) => p?.catch(() => undefined)));
    },
  };
}
