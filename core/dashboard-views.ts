// The skills dashboard's store-side views and the numbers it charts. Pure: the
// store rows come in (team/dashboard-pages.ts reads them), the views go out, the same
// on a machine that holds the store and on the central worker serving a
// teammate's dashboard, so both pages show the same thing.
//
// An invocation (session id + tool use id) counts once, as the canary's
// evidence does (store canaryEvidence): failed if any of its verdicts failed,
// else passed, at the time of its first judged verdict; not-judged never counts.
import { wilsonInterval } from './skill-reports';
import type { CanarySettings, RolloutPolicy, VersionEvidence, VersionState } from './rollout-types';
import type { CheckOutcome } from './precheck';

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Days of the skill list's success rate and trend chart. */
export const TREND_DAYS = 30;
/** Versions drawn in a skill's chart: the newest, so a page stays small however long the skill lives. */
export const MAX_CHART_VERSIONS = 12;

// ---------------------------------------------------------------- views

export interface VersionBrief {
  version: number;
  state: VersionState;
  createdAt: string;
  createdBy: string;
  /** A proposal (a non-owner's push) waiting for an owner's approval: who proposed it. */
  proposedBy?: string;
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

/** The candidate the lane has on trial and when its trial began (the lane's state query). */
export interface CanaryTrial {
  version: number;
  since: string;
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
  /** What the pre-publish check said of it; null or absent (an older central worker): not checked. */
  precheck?: CheckOutcome | null;
}

export interface ChartSeries {
  version: number;
  /** Cumulative success rate of this version up to each day; null before its first judged invocation. */
  rate: (number | null)[];
  lo: (number | null)[];
  hi: (number | null)[];
  judged: number;
}

export interface VersionChart {
  /** Start of each UTC day that has a judged invocation, ms, oldest first. */
  days: number[];
  series: ChartSeries[];
}

export interface RolloutView {
  policy: RolloutPolicy;
  policySource: 'skill' | 'team default';
  canary: CanarySettings;
  overridden: string[];
  settingsNote?: string;
  /** Whether its edits are checked before anyone gets them (absent from an older central worker's page). */
  precheck?: { on: boolean; heldOut: number; source: 'skill' | 'team default' };
}

/** Everything a skill's page shows that the store holds (Temporal adds invocations and the lane). */
export interface StoredSkillPage {
  summary: SkillSummary;
  versions: VersionView[];
  chart: VersionChart;
  rollout: RolloutView;
}

// ---------------------------------------------------------------- numbers

/** What the numbers need of a stored verdict (store/types VerdictRecord has it). */
export interface VerdictInput {
  skillVersion: number;
  sessionId: string;
  toolUseId?: string | null;
  eventId: string;
  outcome: 'passed' | 'failed' | 'not-judged';
  createdAt?: string | null;
}

export interface JudgedInvocation {
  version: number;
  /** ms since the epoch: the first judged verdict. */
  at: number;
  passed: boolean;
}

export function judgedInvocations(verdicts: readonly VerdictInput[]): JudgedInvocation[] {
  const byInvocation = new Map<string, JudgedInvocation>();
  for (const v of verdicts) {
    if (v.outcome !== 'passed' && v.outcome !== 'failed') continue;
    const key = `${v.sessionId}\u0000${v.toolUseId ?? v.eventId}`;
    const at = v.createdAt ? Date.parse(v.createdAt) : 0;
    const seen = byInvocation.get(key);
    if (!seen) byInvocation.set(key, { version: v.skillVersion, at, passed: v.outcome === 'passed' });
    else {
      if (v.outcome === 'failed') seen.passed = false;
      if (at < seen.at) seen.at = at;
    }
  }
  return [...byInvocation.values()].sort((a, b) => a.at - b.at);
}

/** Start of the UTC day holding `ms`. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export interface DailyRates {
  /** Start of each UTC day, ms, oldest first. */
  days: number[];
  /** Passed / judged that day; null on a day with nothing judged. */
  rates: (number | null)[];
  passed: number;
  judged: number;
}

/** The last `days` days up to `now`, day by day. */
export function dailyRates(invocations: readonly JudgedInvocation[], now: number, days = TREND_DAYS): DailyRates {
  const first = dayOf(now) - (days - 1) * DAY_MS;
  const passed = new Array<number>(days).fill(0);
  const judged = new Array<number>(days).fill(0);
  for (const i of invocations) {
    const index = Math.floor((dayOf(i.at) - first) / DAY_MS);
    if (index < 0 || index >= days) continue;
    judged[index]! += 1;
    if (i.passed) passed[index]! += 1;
  }
  return {
    days: judged.map((_, index) => first + index * DAY_MS),
    rates: judged.map((n, index) => (n === 0 ? null : passed[index]! / n)),
    passed: passed.reduce((a, b) => a + b, 0),
    judged: judged.reduce((a, b) => a + b, 0),
  };
}

/**
 * Success rate by version over time: each version's running rate with its 95 %
 * Wilson interval, on the days anything was judged; the newest `maxVersions`.
 */
export function versionChart(invocations: readonly JudgedInvocation[], maxVersions = MAX_CHART_VERSIONS): VersionChart {
  const versions = [...new Set(invocations.map((i) => i.version))].sort((a, b) => a - b).slice(-maxVersions);
  const shown = invocations.filter((i) => versions.includes(i.version));
  const days = [...new Set(shown.map((i) => dayOf(i.at)))].sort((a, b) => a - b);
  const series = versions.map((version): ChartSeries => {
    const mine = shown.filter((i) => i.version === version);
    const out: ChartSeries = { version, rate: [], lo: [], hi: [], judged: mine.length };
    let passed = 0;
    let n = 0;
    let next = 0;
    for (const day of days) {
      while (next < mine.length && dayOf(mine[next]!.at) <= day) {
        n += 1;
        if (mine[next]!.passed) passed += 1;
        next += 1;
      }
      const interval = wilsonInterval(passed, n);
      out.rate.push(n === 0 ? null : passed / n);
      out.lo.push(interval?.low ?? null);
      out.hi.push(interval?.high ?? null);
    }
    return out;
  });
  return { days, series };
}
