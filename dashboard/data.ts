// What the dashboard shows, read through the backend seam as the CLI reads it:
// the store's part (versions, states, verdicts, settings, the canary's
// evidence) from the store or the central worker; the invocations and the
// lane's reading from Temporal (as `skillopt status`); approve / reject as the
// lane's `decide` update (as `skillopt approve|reject`).
import type { Signer } from '../core/signing';
import { signingKeyFor } from '../local/signing-key';
import { signedDecision } from '../team/signed-requests';
import type { SkillSummary } from '../core/dashboard-views';
import { formatSkillRef, workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import { diffVersions } from '../sync/diff';
import type { TeamBackend } from '../team/backend';
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

export interface DashboardSources {
  backend: TeamBackend;
  /** false: Temporal could not be reached at start, so approve and reject are off (the pages say what is missing). Default true. */
  temporal?: boolean;
  /** The Temporal Web UI, e.g. http://localhost:8233 (invocation links). */
  temporalUiUrl: string;
  /** Who decides when a person clicks approve or reject (the dashboard's user, as the CLI's). */
  user: string;
  /** Their key, which signs the decision; default this machine's (SKILLOPT_HOME of `env`), as the CLI's. */
  key?: () => Promise<Signer>;
  env?: NodeJS.ProcessEnv;
}

export function workflowLink(temporalUiUrl: string, namespace: string, workflowId: string): string {
  return `${temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export class DashboardData {
  constructor(private readonly sources: DashboardSources) {}

  listSkills(): Promise<SkillSummary[]> {
    return this.sources.backend.skillSummaries();
  }

  async skillPage(ref: SkillRef): Promise<Omit<SkillPageResponse, 'actions'>> {
    const { lane, invocations, note } = await this.temporal(ref);
    const trial = lane?.rollout ? { version: lane.rollout.version, since: lane.rollout.since } : undefined;
    const page = await this.sources.backend.skillPage(ref, trial);
    if (!page) throw new DashboardError(`no skill ${formatSkillRef(ref)} in the store`, 404);
    return { ...page, invocations, ...(note ? { temporalNote: note } : {}), lane };
  }

  /** The lane and recent invocations from Temporal; a note instead when it cannot be reached. */
  private async temporal(ref: SkillRef): Promise<{ lane: LaneView | null; invocations: InvocationView[]; note?: string }> {
    const { backend, temporalUiUrl } = this.sources;
    if (this.sources.temporal === false) return { lane: null, invocations: [], note: 'no Temporal connection: invocations and the lane are not shown' };
    try {
      const [{ detail }, { namespace }] = await Promise.all([backend.skillStatus(ref, INVOCATIONS_SHOWN), backend.temporal()]);
      const link = (id: string) => workflowLink(temporalUiUrl, namespace, id);
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
    const { backend } = this.sources;
    const [a, b] = await Promise.all([backend.getVersion(ref, from), backend.getVersion(ref, to)]);
    const missing = !a ? from : !b ? to : undefined;
    if (missing !== undefined || !a || !b) throw new DashboardError(`${formatSkillRef(ref)} has no version ${missing}`, 404);
    const { bodyChanged, descriptionChanged, files, patch } = await diffVersions(formatSkillRef(ref), a, b, backend);
    return { ref: formatSkillRef(ref), from, to, bodyChanged, descriptionChanged, files, patch };
  }

  /** The same path as `skillopt approve|reject`: the lane's `decide` update; its validator's refusal is the error's one line. */
  async decide(ref: SkillRef, request: DecideRequest): Promise<DecideResponse> {
    const { backend, user } = this.sources;
    if (this.sources.temporal === false) throw new DashboardError("no Temporal connection: approve and reject go through the skill's lane", 503);
    try {
      const decision = await signedDecision(backend, ref, { version: request.version, action: request.action, by: user, ...(request.reason ? { reason: request.reason } : {}) }, await (this.sources.key?.() ?? signingKeyFor(this.sources.env)));
      const decided = await backend.decide(ref, decision);
      return { version: decided.version, state: decided.state };
    } catch (err) {
      throw new DashboardError((err as Error).message.split('\n')[0]!, 409);
    }
  }
}
