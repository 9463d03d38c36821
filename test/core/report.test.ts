// The report's pure parts: the Wilson score interval on worked numbers, and the
// shaping of store rows into one skill's report (caps said, canary reading).
import { describe, expect, it } from 'vitest';
import {
  MAX_REPORT_DECISIONS,
  MAX_REPORT_EDITS,
  MAX_REPORT_REASON_CHARS,
  MAX_REPORT_VERSIONS,
  Z_95,
  buildSkillReport,
  wilsonInterval,
  type ReportInput,
} from '../../core/skill-reports';
import type { VersionTransition } from '../../core/rollout-types';

describe('wilsonInterval', () => {
  // Worked by hand: centre = (p + z²/2n)/(1 + z²/n), half = z/(1 + z²/n)·√(p(1−p)/n + z²/4n²), z = 1.96.
  it.each([
    [8, 10, 0.490162, 0.943318],
    [0, 10, 0, 0.277533],
    [10, 10, 0.722467, 1],
    [1, 2, 0.094531, 0.905469],
    [2, 2, 0.34238, 1],
    [1, 1, 0.206549, 1],
    [0, 1, 0, 0.793451],
    [50, 100, 0.403832, 0.596168],
    [81, 263, 0.255289, 0.36621],
  ])('%i of %i → [%f, %f]', (successes, n, low, high) => {
    const interval = wilsonInterval(successes, n)!;
    expect(interval.low).toBeCloseTo(low, 6);
    expect(interval.high).toBeCloseTo(high, 6);
  });

  it('is exact at the ends, symmetric about one half, and narrows as n grows', () => {
    expect(wilsonInterval(0, 7)!.low).toBe(0);
    expect(wilsonInterval(7, 7)!.high).toBe(1);
    const a = wilsonInterval(3, 10)!;
    const b = wilsonInterval(7, 10)!;
    expect(a.low).toBeCloseTo(1 - b.high, 12);
    expect(a.high).toBeCloseTo(1 - b.low, 12);
    const wide = wilsonInterval(5, 10)!;
    const narrow = wilsonInterval(50, 100)!;
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
  });

  it('has no interval for nothing judged, takes another z, and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toBeUndefined();
    expect(Z_95).toBeCloseTo(1.96, 2);
    // z = 1 (about 68%): 8/10 → [0.649078, 0.896377].
    expect(wilsonInterval(8, 10, 1)).toEqual({ low: expect.closeTo(0.649078, 6), high: expect.closeTo(0.896377, 6) });
    for (const [s, n] of [
      [3, 2],
      [-1, 2],
      [1.5, 2],
      [1, -1],
      [1, Number.NaN],
    ] as const) {
      expect(() => wilsonInterval(s, n)).toThrow(RangeError);
    }
    expect(() => wilsonInterval(1, 2, 0)).toThrow(RangeError);
  });
});

const T = (minutes: number) => new Date(Date.parse('2025-03-01T12:00:00.000Z') + minutes * 60_000).toISOString();

function transition(version: number, from: VersionTransition['from'], to: VersionTransition['to'], reason: string, minutes: number): VersionTransition {
  return { name: 'deploy', author: 'alice', version, from, to, decidedBy: from === null ? 'alice' : 'skillopt', reason, at: T(minutes) };
}

const CHECKED = { decision: 'go-on' as const, addressed: 2, failures: 2, worse: 0, passes: 3, unanswered: 1, reasons: [] };

function input(extra: Partial<ReportInput> = {}): ReportInput {
  return {
    ref: { name: 'deploy', author: 'alice' },
    since: T(0),
    policy: 'canary',
    policyIsDefault: true,
    precheck: { on: true, isDefault: true },
    versions: [
      { version: 1, state: 'retired', createdAt: T(1), createdBy: 'alice' },
      { version: 3, state: 'candidate', createdAt: T(3), createdBy: 'skillopt', precheck: CHECKED },
      { version: 2, state: 'stable', createdAt: T(2), createdBy: 'skillopt' },
    ],
    usage: [
      { version: 2, sessions: 4, passed: 1, failed: 1, users: 3 },
      { version: 3, sessions: 2, passed: 2, failed: 0, users: 1 },
    ],
    transitions: [
      transition(1, null, 'stable', 'published', 1),
      transition(2, null, 'candidate', 'proposed from failure reports', 2),
      transition(2, 'candidate', 'stable', 'candidate v2 2/2 passed vs stable v1 1/2: P(candidate ≥ stable) = 0.80 ≥ 0.8: promote', 3),
      transition(1, 'stable', 'retired', 'replaced by v2', 3),
    ],
    edits: [{ publishedVersion: 3, baseVersion: 2, status: 'proposed', summaries: ['replace "step 2" with "run the tests first"'], createdAt: T(3), resolvedAt: null }],
    editsTotal: 2,
    canary: { candidate: { version: 3, passed: 2, failed: 0 }, stable: { version: 2, passed: 1, failed: 1, since: T(3) }, minJudged: 5, threshold: 0.8 },
    ...extra,
  };
}

describe('buildSkillReport', () => {
  it('shapes each version with its counts, rate and interval, newest first, and the decisions newest first', () => {
    const report = buildSkillReport(input());
    expect(report).toMatchObject({ ref: 'deploy--alice', stable: 2, candidate: 3, policy: 'canary', policySource: 'team default', since: T(0), versionsOmitted: 0 });
    expect(report.versions.map((v) => [v.version, v.state, v.sessions, v.judged, v.passed, v.failed, v.successRate, v.users])).toEqual([
      [3, 'candidate', 2, 2, 2, 0, 1, 1],
      [2, 'stable', 4, 2, 1, 1, 0.5, 3],
      [1, 'retired', 0, 0, 0, 0, null, 0],
    ]);
    expect(report.versions[0]!.interval!.low).toBeCloseTo(0.34238, 5);
    expect(report.versions[1]!.interval!.high).toBeCloseTo(0.905469, 5);
    expect(report.versions[2]!.interval).toBeNull();
    // The pre-publish check's outcome rides with its version; a version it never saw says null.
    expect(report.versions.map((v) => v.precheck)).toEqual([CHECKED, null, null]);
    expect(report.precheck).toEqual({ on: true, source: 'team default' });
    expect(report.decisions.map((d) => [d.version, d.from, d.to])).toEqual([
      [1, 'stable', 'retired'],
      [2, 'candidate', 'stable'],
      [2, null, 'candidate'],
      [1, null, 'stable'],
    ]);
    expect(report.decisions[1]!.reason).toContain('P(candidate ≥ stable) = 0.80');
    expect(report.edits).toEqual([{ version: 3, baseVersion: 2, status: 'proposed', summaries: ['replace "step 2" with "run the tests first"'], createdAt: T(3), resolvedAt: null }]);
    expect(report.editsOmitted).toBe(1);
  });

  it('reads the canary: 2/2 against 1/2 is P(candidate ≥ stable) = 0.8', () => {
    const { canary } = buildSkillReport(input());
    expect(canary).toMatchObject({ candidate: { version: 3, passed: 2, failed: 0 }, stable: { version: 2, passed: 1, failed: 1 }, minJudged: 5, threshold: 0.8 });
    expect(canary!.probability).toBeCloseTo(0.8, 10);
    // No stable version: nothing to compare with.
    const first = buildSkillReport(input({ canary: { candidate: { version: 3, passed: 1, failed: 0 }, minJudged: 5, threshold: 0.8 } }));
    expect(first.canary).toMatchObject({ stable: null, probability: null });
    // No candidate: no reading, whatever was passed.
    const settled = buildSkillReport(input({ versions: [{ version: 1, state: 'stable', createdAt: T(1), createdBy: 'alice' }] }));
    expect(settled).toMatchObject({ stable: 1, candidate: null, canary: null });
  });

  it('caps versions (keeping stable and candidate), decisions, edits and long reasons, and says how many were left out', () => {
    const versions = Array.from({ length: 40 }, (_, i) => ({ version: i + 1, state: 'rejected' as const, createdAt: T(i), createdBy: 'skillopt' }));
    versions[1] = { ...versions[1]!, state: 'stable' as never };
    versions[39] = { ...versions[39]!, state: 'candidate' as never };
    const transitions = Array.from({ length: 50 }, (_, i) => transition(1, null, 'stable', 'x'.repeat(i === 49 ? 5000 : 10), i));
    const edits = Array.from({ length: 12 }, (_, i) => ({ publishedVersion: 40 - i, baseVersion: 2, status: 'reverted' as const, summaries: ['y'.repeat(1000)], createdAt: T(i), resolvedAt: T(i + 1) }));
    const report = buildSkillReport(input({ versions, transitions, edits, editsTotal: 30, policy: 'approval', policyIsDefault: false }));
    expect(report.versions).toHaveLength(MAX_REPORT_VERSIONS);
    expect(report.versions[0]!.version).toBe(40);
    expect(report.versions.at(-1)!.version).toBe(2); // the old stable version is kept
    expect(report.versionsOmitted).toBe(40 - MAX_REPORT_VERSIONS);
    expect(report.decisions).toHaveLength(MAX_REPORT_DECISIONS);
    expect(report.decisions[0]!.reason).toHaveLength(MAX_REPORT_REASON_CHARS);
    expect(report.decisionsOmitted).toBe(50 - MAX_REPORT_DECISIONS);
    expect(report.edits).toHaveLength(MAX_REPORT_EDITS);
    expect(report.edits[0]!.summaries[0]!.length).toBeLessThan(1000);
    expect(report.editsOmitted).toBe(30 - MAX_REPORT_EDITS);
    expect(report.policySource).toBe('skill');
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(64 * 1024);
  });
});
