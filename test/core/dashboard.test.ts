// The numbers the skills dashboard charts, from stored verdicts (core/dashboard).
import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../core/skill-reports';
import { dailyRates, judgedInvocations, versionChart, DAY_MS, type VerdictInput } from '../../core/dashboard-views';

describe('dashboard numbers', () => {
  const verdict = (session: string, outcome: VerdictInput['outcome'], version: number, at: number): VerdictInput => ({
    skillVersion: version, sessionId: session, toolUseId: 't', eventId: `${session}-${at}`, outcome, createdAt: new Date(at).toISOString(),
  });
  const now = Date.UTC(2026, 11, 2, 12);

  it('counts an invocation once: failed if any verdict failed, not-judged never', () => {
    const invocations = judgedInvocations([verdict('a', 'passed', 1, now - 1000), verdict('a', 'failed', 1, now), verdict('b', 'not-judged', 1, now), verdict('c', 'passed', 2, now)]);
    expect(invocations.map((i) => [i.version, i.passed])).toEqual([[1, false], [2, true]]);
  });

  it('rates day by day over 30 days, and by version with a Wilson interval', () => {
    const invs = judgedInvocations([verdict('a', 'passed', 1, now - 2 * DAY_MS), verdict('b', 'failed', 1, now), verdict('c', 'passed', 2, now), verdict('old', 'failed', 1, now - 40 * DAY_MS)]);
    const daily = dailyRates(invs, now, 30);
    expect(daily.days).toHaveLength(30);
    expect(daily.rates.at(-1)).toBe(0.5);
    expect(daily.rates.at(-3)).toBe(1);
    expect([daily.passed, daily.judged]).toEqual([2, 3]);
    const chart = versionChart(invs);
    expect(chart.series.map((s) => s.version)).toEqual([1, 2]);
    expect(chart.series[1]!.rate.slice(0, 2)).toEqual([null, null]);
    // Version 1 by today: 1 of 3 passed (the old failure counts too), with its 95 % Wilson interval.
    expect(chart.series[0]!.rate.at(-1)).toBeCloseTo(1 / 3, 9);
    expect(chart.series[0]!.lo.at(-1)).toBeCloseTo(wilsonInterval(1, 3)!.low, 9);
    expect(chart.series[0]!.hi.at(-1)).toBeCloseTo(wilsonInterval(1, 3)!.high, 9);
    // On the old failure's day: 0 of 1.
    expect(chart.series[0]!.rate[0]).toBe(0);
  });

  it('charts only the newest versions', () => {
    const invs = judgedInvocations([1, 2, 3, 4].map((version) => verdict(`s${version}`, 'passed', version, now - version * DAY_MS)));
    expect(versionChart(invs, 2).series.map((s) => s.version)).toEqual([3, 4]);
    expect(versionChart(invs, 2).days).toHaveLength(2);
  });
});
