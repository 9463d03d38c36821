// What the dashboard's JSON API returns: shared by the server (data.ts) and the
// page (client.ts). Types only, so the browser bundle carries none of the server.
import type { FileDiff } from '../sync/diff';
import type { RolloutView, SkillSummary, StoredSkillPage } from '../core/dashboard-views';
import type { RolloutPolicy, VersionState } from '../core/rollout-types';

export type { CanaryView, ChartSeries, LastVerdict, RolloutView, SkillSummary, TransitionView, VersionBrief, VersionView } from '../core/dashboard-views';

/** Whether the approve / reject buttons can work here, and why not. */
export interface ActionsInfo {
  enabled: boolean;
  /** Bound to a non-loopback address: each action carries SKILLOPT_DASHBOARD_TOKEN. */
  needsToken: boolean;
  note?: string;
}

export interface SkillListResponse {
  skills: SkillSummary[];
  generatedAt: string;
  actions: ActionsInfo;
}

export interface InvocationView {
  workflowId: string;
  /** The invocation workflow in the Temporal Web UI. */
  link: string;
  started: string;
  status: string;
  user: string | null;
  version: number | null;
  verdict: 'passed' | 'failed' | 'not-judged' | 'pending';
  reason: string | null;
}

export interface LaneView {
  workflowId: string;
  link: string;
  status: string;
  runs: number | null;
  queued: number | null;
  improving: boolean | null;
  rollout: {
    version: number;
    stableVersion: number | null;
    policy: RolloutPolicy;
    since: string;
    deadline: string;
    extended: boolean;
    awaitingApproval: boolean;
    reading: { action: string; probability: number; reason: string } | null;
  } | null;
  stateError?: string;
}

export interface SkillPageResponse extends StoredSkillPage {
  invocations: InvocationView[];
  /** Why invocations or the lane could not be read from Temporal, if they could not. */
  temporalNote?: string;
  lane: LaneView | null;
  rollout: RolloutView;
  actions: ActionsInfo;
}

export interface DiffResponse {
  ref: string;
  from: number;
  to: number;
  bodyChanged: boolean;
  descriptionChanged: boolean;
  /** Every file besides SKILL.md that was added, removed or changed (the patch shows each). */
  files: FileDiff[];
  patch: string;
}

export interface DecideRequest {
  version: number;
  action: 'approve' | 'reject';
  reason?: string;
}

export interface DecideResponse {
  version: number;
  state: VersionState;
}

export interface ErrorResponse {
  error: string;
}
