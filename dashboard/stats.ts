// The numbers the dashboard charts, from a skill's stored verdicts. Pure.
//
// An invocation (session id + tool use id) counts once, as the canary's
// evidence does (store canaryEvidence): failed if any of its verdicts failed,
// else passed, at the time of its first judged verdict; not-judged never counts.
import type { VerdictRecord } from '../store/types';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface JudgedInvocation {
  version: number;
  /** ms since the epoch: the first judged verdict. */
  at: number;
  passed: boolean;
}

export function judgedInvocations(verdicts: readonly VerdictRecord[]): JudgedInvocation[] {
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
export function dailyRates(invocations: readonly JudgedInvocation[], now: number, days = 30): DailyRates {
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

/** Wilson score interval for passed of n at 95 % (z = 1.96); [0, 1] for n = 0. */
export function wilsonInterval(passed: number, n: number, z = 1.96): [number, number] {
  if (n <= 0) return [0, 1];
  const p = passed / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface VersionSeries {
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
  series: VersionSeries[];
}

/** Success rate by version over time: each version's running rate with its 95 % interval, on the days anything was judged. */
export function versionChart(invocations: readonly JudgedInvocation[]): VersionChart {
  const days = [...new Set(invocations.map((i) => dayOf(i.at)))].sort((a, b) => a - b);
  const versions = [...new Set(invocations.map((i) => i.version))].sort((a, b) => a - b);
  const series = versions.map((version): VersionSeries => {
    const mine = invocations.filter((i) => i.version === version);
    const out: VersionSeries = { version, rate: [], lo: [], hi: [], judged: mine.length };
    let passed = 0;
    let n = 0;
    let next = 0;
    for (const day of days) {
      while (next < mine.length && dayOf(mine[next]!.at) <= day) {
        n += 1;
        if (mine[next]!.passed) passed += 1;
        next += 1;
      }
      if (n === 0) {
        out.rate.push(null);
        out.lo.push(null);
        out.hi.push(null);
      } else {
        const [lo, hi] = wilsonInterval(passed, n);
        out.rate.push(passed / n);
        out.lo.push(lo);
        out.hi.push(hi);
      }
    }
    return out;
  });
  return { days, series };
}
