// What the dashboard shows, read where the CLI reads it: the store (embedded
// and central mode) for versions, states, verdicts and settings; Temporal's
// visibility and the lane's `state` query (sync/visibility, as `skillopt
// status`) for invocations and the rule's reading; the lane's `decide` update
// (sync/remote, as `skillopt approve|reject`) for actions.
import { DEFAULT_CANARY_SETTINGS, mergeCanarySettings, rolloutDefaultsFromEnv } from '../core/rollout';
import { DEFAULT_ROLLOUT_POLICY, type RolloutDefaults } from '../core/rollout-types';
import { formatSkillRef, workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import type { CurrentSkill, SkillVersion, Store } from '../store/types';
import { diffVersions } from '../sync/diff';
import { decideCandidateRemote, type TeamConnection } from '../sync/remote';
import { collectSkill } from '../sync/visibility';
import type {
  CanaryView,
  DecideRequest,
  DecideResponse,
  DiffResponse,
  InvocationView,
  LaneView,
  LastVerdict,
  SkillPageResponse,
  SkillSummary,
  VersionBrief,
  VersionView,
} from './api';
import { dailyRates, judgedInvocations, versionChart } from './stats';

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

export interface DashboardSources {
  store: Store;
  /** Temporal: invocations, the lane's state and the approve / reject update. Without it the page says what is missing. */
  team?: TeamConnection;
  /** The Temporal Web UI, e.g. http://localhost:8233 (invocation links). */
  temporalUiUrl: string;
  /** Who decides when a person clicks approve or reject (the dashboard's user, as the CLI's). */
  user: string;
  /** SKILLOPT_ROLLOUT and SKILLOPT_CANARY_* (the team defaults shown beside a skill's own settings). */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

function brief(v: SkillVersion | null | undefined): VersionBrief | null {
  return v ? { version: v.version, state: v.state, createdAt: v.createdAt, createdBy: v.createdBy } : null;
}

export function workflowLink(temporalUiUrl: string, namespace: string, workflowId: string): string {
  return `${temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export class DashboardData {
  constructor(private readonly sources: DashboardSources) {}

  private now(): number {
    return (this.sources.now?.() ?? new Date()).getTime();
  }

  private teamDefaults(): RolloutDefaults & { note?: string } {
    const read = rolloutDefaultsFromEnv(this.sources.env ?? process.env);
    if ('error' in read) return { policy: DEFAULT_ROLLOUT_POLICY, canary: { ...DEFAULT_CANARY_SETTINGS }, note: read.error };
    return read.defaults;
  }

  private get namespace(): string {
    return this.sources.team?.namespace ?? 'default';
  }

  async listSkills(): Promise<SkillSummary[]> {
    const current = await this.sources.store.listCurrent();
    return Promise.all(current.map((skill) => this.summary(skill)));
  }

  private async summary(skill: CurrentSkill): Promise<SkillSummary> {
    const { store } = this.sources;
    const ref: SkillRef = { name: skill.name, author: skill.author };
    const [verdicts, settings] = await Promise.all([store.verdicts(ref), store.rolloutSettings(ref)]);
    const defaults = this.teamDefaults();
    const trend = dailyRates(judgedInvocations(verdicts), this.now(), 30);
    const last = verdicts.at(-1);
    const lastVerdict: LastVerdict | null = last
      ? { outcome: last.outcome, reason: last.reason, user: last.user, version: last.skillVersion, at: last.createdAt ?? null }
      : null;
    const shown = skill.stable ?? skill.candidate;
    return {
      ref: formatSkillRef(ref),
      name: skill.name,
      author: skill.author,
      description: shown?.description ?? '',
      stable: brief(skill.stable),
      candidate: brief(skill.candidate),
      latestVersion: skill.latestVersion,
      policy: settings?.policy ?? defaults.policy,
      successRate: trend.judged === 0 ? null : trend.passed / trend.judged,
      judged30d: trend.judged,
      trend: { days: trend.days, rates: trend.rates },
      lastVerdict,
      canary: skill.candidate ? await this.canary(ref, skill.candidate, skill.stable) : null,
    };
  }

  private async canary(ref: SkillRef, candidate: SkillVersion, stable: SkillVersion | null, lane?: LaneView | null): Promise<CanaryView> {
    const settings = await this.settingsOf(ref);
    const since = lane?.rollout?.version === candidate.version ? lane.rollout.since : candidate.createdAt;
    const stableVersion = stable?.version ?? 0;
    const evidence = await this.sources.store.canaryEvidence(ref, { candidate: candidate.version, stable: stableVersion, since, minStable: settings.canary.minJudged });
    return { version: candidate.version, stableVersion, since, minJudged: settings.canary.minJudged, candidate: evidence.candidate, stable: evidence.stable };
  }

  private async settingsOf(ref: SkillRef): Promise<SkillPageResponse['rollout']> {
    const defaults = this.teamDefaults();
    const own = await this.sources.store.rolloutSettings(ref);
    const overrides = own?.canary ?? {};
    const merged = mergeCanarySettings(defaults.canary, overrides);
    const note = 'error' in merged ? merged.error : defaults.note;
    return {
      policy: own?.policy ?? defaults.policy,
      policySource: own?.policy ? 'skill' : 'team default',
      canary: 'error' in merged ? defaults.canary : merged.settings,
      overridden: Object.keys(overrides).filter((k) => overrides[k as keyof typeof overrides] !== undefined),
      ...(note ? { settingsNote: note } : {}),
    };
  }

  async skillPage(ref: SkillRef): Promise<Omit<SkillPageResponse, 'actions'>> {
    const { store } = this.sources;
    const [current, versions, transitions, verdicts] = await Promise.all([
      store.listCurrent().then((all) => all.find((s) => s.name === ref.name && s.author === ref.author)),
      store.history(ref),
      store.transitions(ref),
      store.verdicts(ref),
    ]);
    if (!current || versions.length === 0) throw new DashboardError(`no skill ${formatSkillRef(ref)} in the store`, 404);
    const { lane, invocations, note } = await this.temporal(ref);
    const summary = await this.summary(current);
    if (current.candidate) summary.canary = await this.canary(ref, current.candidate, current.stable, lane);
    const views: VersionView[] = versions.map((v) => ({
      ...brief(v)!,
      description: v.description,
      bodyBytes: Buffer.byteLength(v.body, 'utf8'),
      contributors: v.contributors,
      transitions: transitions.filter((t) => t.version === v.version).map(({ from, to, decidedBy, reason, at }) => ({ from, to, decidedBy, reason, at })),
    }));
    return {
      summary,
      versions: views,
      chart: versionChart(judgedInvocations(verdicts)),
      invocations,
      ...(note ? { temporalNote: note } : {}),
      lane,
      rollout: await this.settingsOf(ref),
    };
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
    const { store } = this.sources;
    const [a, b] = await Promise.all([store.getVersion(ref, from), store.getVersion(ref, to)]);
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
