// What the dashboard shows, read where the CLI reads it. The store's part
// (versions, states, verdicts, settings, the canary's evidence; store/dashboard)
// from the store itself on a machine that holds it, or through the central
// worker's store requests on a teammate's machine (sync/remote), as `skillopt
// report` does. Temporal's visibility and the lane's `state` query
// (sync/visibility, as `skillopt status`) for invocations and the rule's
// reading; the lane's `decide` update (sync/remote, as `skillopt
// approve|reject`) for actions.
import type { CanaryTrial, SkillSummary, StoredSkillPage } from '../core/dashboard';
import { DEFAULT_CANARY_SETTINGS, rolloutDefaultsFromEnv } from '../core/rollout';
import { DEFAULT_ROLLOUT_POLICY, type RolloutDefaults } from '../core/rollout-types';
import { formatSkillRef, workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import { skillSummaries, storedSkillPage } from '../store/dashboard';
import type { SkillVersion, Store } from '../store/types';
import { diffVersions } from '../sync/diff';
import { decideCandidateRemote, remoteSkillPage, remoteSkillSummaries, remoteSource, type TeamConnection } from '../sync/remote';
import { collectSkill } from '../sync/visibility';
import type { DecideRequest, DecideResponse, DiffResponse, InvocationView, LaneView, SkillPageResponse } from './api';

const INVOCATIONS_SHOWN = 25;

/** A request the dashboard cannot serve; the message is the one line to show. */
export class DashboardError extends Error {
  override name = 'DashboardError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The store's part of the dashboard: the store itself, or the central worker serving a teammate. */
export interface DashboardReads {
  skillSummaries(): Promise<SkillSummary[]>;
  /** undefined: no such skill. */
  skillPage(ref: SkillRef, trial?: CanaryTrial): Promise<StoredSkillPage | undefined>;
  version(ref: SkillRef, version: number): Promise<SkillVersion | undefined>;
}

/**
 * Reads from a store this machine holds (`skillopt up`, the central machine),
 * under the team's rollout defaults from this environment (SKILLOPT_ROLLOUT,
 * SKILLOPT_CANARY_*); a malformed one is said on each page, not fatal.
 */
export function storeReads(store: Store, env: NodeJS.ProcessEnv = process.env, now: () => number = Date.now): DashboardReads {
  const read = rolloutDefaultsFromEnv(env);
  const defaults: RolloutDefaults = 'error' in read ? { policy: DEFAULT_ROLLOUT_POLICY, canary: { ...DEFAULT_CANARY_SETTINGS } } : read.defaults;
  const envNote = 'error' in read ? `${read.error}; the defaults are shown` : undefined;
  return {
    skillSummaries: () => skillSummaries(store, defaults, now()),
    async skillPage(ref, trial) {
      const page = await storedSkillPage(store, ref, defaults, now(), trial);
      if (page && envNote) page.rollout.settingsNote ??= envNote;
      return page;
    },
    version: (ref, version) => store.getVersion(ref, version),
  };
}

/** Reads through the central worker (a teammate's machine): the same views, built next to the store under the worker's settings. */
export function remoteReads(team: TeamConnection): DashboardReads {
  const source = remoteSource(team);
  return {
    skillSummaries: () => remoteSkillSummaries(team),
    skillPage: (ref, trial) => remoteSkillPage(team, ref, trial),
    version: (ref, version) => source.getVersion(ref, version),
  };
}

export interface DashboardSources {
  reads: DashboardReads;
  /** Temporal: invocations, the lane's state and the approve / reject update. Without it the page says what is missing. */
  team?: TeamConnection;
  /** The Temporal Web UI, e.g. http://localhost:8233 (invocation links). */
  temporalUiUrl: string;
  /** Who decides when a person clicks approve or reject (the dashboard's user, as the CLI's). */
  user: string;
}

export function workflowLink(temporalUiUrl: string, namespace: string, workflowId: string): string {
  return `${temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export class DashboardData {
  constructor(private readonly sources: DashboardSources) {}

  private get namespace(): string {
    return this.sources.team?.namespace ?? 'default';
  }

  listSkills(): Promise<SkillSummary[]> {
    return this.sources.reads.skillSummaries();
  }

  async skillPage(ref: SkillRef): Promise<Omit<SkillPageResponse, 'actions'>> {
    const { lane, invocations, note } = await this.temporal(ref);
    const trial = lane?.rollout ? { version: lane.rollout.version, since: lane.rollout.since } : undefined;
    const page = await this.sources.reads.skillPage(ref, trial);
    if (!page) throw new DashboardError(`no skill ${formatSkillRef(ref)} in the store`, 404);
    return { ...page, invocations, ...(note ? { temporalNote: note } : {}), lane };
  }

  /** The lane and recent invocations from Temporal; a note instead when it cannot be reached. */
  private async temporal(ref: SkillRef): Promise<{ lane: LaneView | null; invocations: InvocationView[]; note?: string }> {
    const { team, temporalUiUrl } = this.sources;
    if (!team) return { lane: null, invocations: [], note: 'no Temporal connection: invocations and the lane are not shown' };
    try {
      const { detail } = await collectSkill(team.client, ref, INVOCATIONS_SHOWN);
      const link = (id: string) => workflowLink(temporalUiUrl, this.namespace, id);
      const invocations = detail.invocations.map((i): InvocationView => ({
        workflowId: i.workflowId,
        link: link(i.workflowId),
        started: i.started,
        status: i.status,
        user: i.user,
        version: i.version,
        verdict: i.verdict,
        reason: i.reason,
      }));
      const l = detail.lane;
      const r = l?.state?.rollout;
      const lane: LaneView | null = l
        ? {
            workflowId: l.workflowId,
            link: link(l.workflowId),
            status: l.status,
            runs: l.state?.runs ?? null,
            queued: l.state?.queued ?? null,
            improving: l.state?.improving ?? null,
            rollout: r
              ? {
                  version: r.version,
                  stableVersion: r.stableVersion ?? null,
                  policy: r.policy,
                  since: r.since,
                  deadline: new Date(r.deadlineMs).toISOString(),
                  extended: r.extended,
                  awaitingApproval: r.awaitingApproval,
                  reading: r.reading ? { action: r.reading.action, probability: r.reading.probability, reason: r.reading.reason } : null,
                }
              : null,
            ...(l.stateError ? { stateError: l.stateError } : {}),
          }
        : null;
      return { lane, invocations };
    } catch (err) {
      return { lane: null, invocations: [], note: `Temporal could not be read (${(err as Error).message.split('\n')[0]}); lane ${workflowIdForSkill(ref)}` };
    }
  }

  async diff(ref: SkillRef, from: number, to: number): Promise<DiffResponse> {
    const { reads } = this.sources;
    const [a, b] = await Promise.all([reads.version(ref, from), reads.version(ref, to)]);
    const missing = !a ? from : !b ? to : undefined;
    if (missing !== undefined || !a || !b) throw new DashboardError(`${formatSkillRef(ref)} has no version ${missing}`, 404);
    return {
      ref: formatSkillRef(ref),
      from,
      to,
      bodyChanged: a.body !== b.body,
      descriptionChanged: a.description !== b.description,
      patch: diffVersions(formatSkillRef(ref), a, b),
    };
  }

  /** The same path as `skillopt approve|reject`: the lane's `decide` update; its validator's refusal is the error's one line. */
  async decide(ref: SkillRef, request: DecideRequest): Promise<DecideResponse> {
    const { team, user } = this.sources;
    if (!team) throw new DashboardError('no Temporal connection: approve and reject go through the skill\'s lane', 503);
    try {
      const decided = await decideCandidateRemote(team, ref, { version: request.version, action: request.action, by: user, ...(request.reason ? { reason: request.reason } : {}) });
      return { version: decided.version, state: decided.state };
    } catch (err) {
      throw new DashboardError((err as Error).message.split('\n')[0]!, 409);
    }
  }
}
