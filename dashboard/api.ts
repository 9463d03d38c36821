// What the dashboard's JSON API returns: shared by the server (data.ts) and the
// page (client.ts). Types only, so the browser bundle carries none of the server.
import type { CanarySettings, RolloutPolicy, VersionEvidence, VersionState } from '../core/rollout-types';

export interface VersionBrief {
  version: number;
  state: VersionState;
  createdAt: string;
  createdBy: string;
}

export interface LastVerdict {
  outcome: 'passed' | 'failed' | 'not-judged';
  reason: string;
  user: string;
  version: number;
  at: string | null;
}

export interface CanaryView {
  version: number;
  /** 0 when the candidate is a first version (nothing stable to compare with). */
  stableVersion: number;
  since: string;
  minJudged: number;
  candidate: VersionEvidence;
  stable: VersionEvidence & { since: string };
}

export interface SkillSummary {
  ref: string;
  name: string;
  author: string;
  description: string;
  stable: VersionBrief | null;
  candidate: VersionBrief | null;
  latestVersion: number;
  policy: RolloutPolicy;
  /** Over the last 30 days: passed / judged invocations; null when nothing was judged. */
  successRate: number | null;
  judged30d: number;
  trend: { days: number[]; rates: (number | null)[] };
  lastVerdict: LastVerdict | null;
  canary: CanaryView | null;
}

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

export interface TransitionView {
  from: VersionState | null;
  to: VersionState;
  decidedBy: string;
  reason: string;
  at: string;
}

export interface VersionView extends VersionBrief {
  description: string;
  bodyBytes: number;
  contributors: string[];
  transitions: TransitionView[];
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

export interface ChartSeries {
  version: number;
  rate: (number | null)[];
  lo: (number | null)[];
  hi: (number | null)[];
  judged: number;
}

export interface SkillPageResponse {
  summary: SkillSummary;
  versions: VersionView[];
  chart: { days: number[]; series: ChartSeries[] };
  invocations: InvocationView[];
  /** Why invocations or the lane could not be read from Temporal, if they could not. */
  temporalNote?: string;
  lane: LaneView | null;
  rollout: { policy: RolloutPolicy; policySource: 'skill' | 'team default'; canary: CanarySettings; overridden: string[]; settingsNote?: string };
  actions: ActionsInfo;
}

export interface DiffResponse {
  ref: string;
  from: number;
  to: number;
  bodyChanged: boolean;
  descriptionChanged: boolean;
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
