import { describe, expect, it } from 'vitest';
import { abBucket } from '../../core/bucket';
import {
  requireRolloutDefaults,
  DEFAULT_CANARY_SETTINGS,
  DEFAULT_PRECHECK_SETTINGS,
  canTransition,
  canaryBucket,
  canarySettingsFromEnv,
  decideCanary,
  describeTransitionRefusal,
  inCanaryCohort,
  logBeta,
  logGamma,
  mergeCanarySettings,
  nextStates,
  parseRolloutPolicy,
  probabilityCandidateAtLeastStable,
  pullChoice,
  rolloutPolicyFromEnv,
  type CanarySettings,
} from '../../core/rollout-rules';
import { VERSION_STATES, type VersionEvidence } from '../../core/rollout-types';

const evidence = (version: number, passed: number, failed: number): VersionEvidence => ({ version, passed, failed });
/** "7/8" → 7 passed, 1 failed. */
const ratio = (version: number, text: string): VersionEvidence => {
  const [passed = 0, judged = 0] = text.split('/').map(Number);
  return evidence(version, passed, judged - passed);
};
const P = (candidate: string, stable: string): number => probabilityCandidateAtLeastStable(ratio(3, candidate), ratio(2, stable));

/**
 * P(X > Y) for X ~ Beta(a1,b1), Y ~ Beta(a2,b2) by numeric integration,
 * independent of the closed form and of logGamma: both densities on the same
 * midpoint grid, normalized by their own sums; P = Σ f_X(x) F_Y(x), with
 * F_Y counting half of x's own cell.
 */
function integrated(candidate: VersionEvidence, stable: VersionEvidence, cells = 20_000): number {
  const fx = gridDensity(1 + candidate.passed, 1 + candidate.failed, cells);
  const fy = gridDensity(1 + stable.passed, 1 + stable.failed, cells);
  let below = 0;
  let p = 0;
  for (let i = 0; i < cells; i += 1) {
    p += (fx[i] ?? 0) * (below + (fy[i] ?? 0) / 2);
    below += fy[i] ?? 0;
  }
  return p;
}

function gridDensity(a: number, b: number, cells: number): number[] {
  const logs = Array.from({ length: cells }, (_, i) => {
    const x = (i + 0.5) / cells;
    return (a - 1) * Math.log(x) + (b - 1) * Math.log(1 - x);
  });
  const top = logs.reduce((m, v) => Math.max(m, v), -Infinity);
  const weights = logs.map((v) => Math.exp(v - top));
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => w / total);
}

const settings = (overrides: Partial<CanarySettings> = {}): CanarySettings => ({ ...DEFAULT_CANARY_SETTINGS, ...overrides });
const decide = (candidate: string, stable: string, flags: { deadlinePassed?: boolean; extended?: boolean; settings?: Partial<CanarySettings> } = {}) =>
  decideCanary({
    candidate: ratio(3, candidate),
    stable: ratio(2, stable),
    settings: settings(flags.settings),
    deadlinePassed: flags.deadlinePassed ?? false,
    extended: flags.extended ?? false,
  });

describe('canary cohort', () => {
  it('buckets a user as the session A/B bucket hashes, mod 100', () => {
    for (let i = 0; i < 300; i += 1) expect(canaryBucket(`user-${i}`)).toBe(abBucket(`user-${i}`, 100));
    // Pinned from a separate FNV-1a 32 in Python: abs(signed hash) % 100.
    expect(['alice', 'bob', 'carol', 'dave', ''].map(canaryBucket)).toEqual([17, 52, 62, 25, 35]);
  });

  it('takes nobody at 0, everyone at 100, and those below the percent between', () => {
    const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    expect(users.filter((u) => inCanaryCohort(u, 0))).toEqual([]);
    expect(users.every((u) => inCanaryCohort(u, 100))).toBe(true);
    expect(users.filter((u) => inCanaryCohort(u, 50))).toHaveLength(500);
    expect(inCanaryCohort('alice', 17)).toBe(false);
    expect(inCanaryCohort('alice', 18)).toBe(true);
  });

  it('keeps everyone in the cohort when the percent grows', () => {
    const users = Array.from({ length: 100 }, (_, i) => `user-${i}`);
    for (let percent = 0; percent < 100; percent += 1) {
      for (const user of users) if (inCanaryCohort(user, percent)) expect(inCanaryCohort(user, percent + 1)).toBe(true);
    }
  });

  it.each([-1, 101, 50.5, Number.NaN])('refuses a percent of %d', (percent) => {
    expect(() => inCanaryCohort('alice', percent)).toThrow('canary percent must be an integer from 0 to 100');
  });
});

describe('pullChoice', () => {
  // alice is in bucket 17, bob in 52: at 50 % alice is in the cohort and bob is not.
  it('gives the cohort the candidate and everyone else stable', () => {
    expect(pullChoice({ user: 'alice', percent: 50, stable: 2, candidate: 3 })).toEqual({ version: 3, as: 'candidate' });
    expect(pullChoice({ user: 'bob', percent: 50, stable: 2, candidate: 3 })).toEqual({ version: 2, as: 'stable' });
    expect(pullChoice({ user: 'bob', percent: 100, stable: 2, candidate: 3 })).toEqual({ version: 3, as: 'candidate' });
    expect(pullChoice({ user: 'alice', percent: 0, stable: 2, candidate: 3 })).toEqual({ version: 2, as: 'stable' });
  });

  it('gives stable to everyone when there is no candidate', () => {
    expect(pullChoice({ user: 'alice', percent: 50, stable: 2 })).toEqual({ version: 2, as: 'stable' });
    expect(pullChoice({ user: 'bob', percent: 50, stable: 2 })).toEqual({ version: 2, as: 'stable' });
  });

  it('gives a first version pushed with --canary to the cohort only', () => {
    expect(pullChoice({ user: 'alice', percent: 50, candidate: 1 })).toEqual({ version: 1, as: 'candidate' });
    expect(pullChoice({ user: 'bob', percent: 50, candidate: 1 })).toBeUndefined();
    expect(pullChoice({ user: 'bob', percent: 50 })).toBeUndefined();
  });
});

describe('canary settings', () => {
  it('defaults to 50 %, 5 judged, 168 h, 0.8', () => {
    expect(DEFAULT_CANARY_SETTINGS).toEqual({ percent: 50, minJudged: 5, maxHours: 168, threshold: 0.8 });
    expect(canarySettingsFromEnv({})).toEqual({ settings: DEFAULT_CANARY_SETTINGS });
    expect(canarySettingsFromEnv({ SKILLOPT_CANARY_PERCENT: ' ', SKILLOPT_CANARY_MIN_JUDGED: '' })).toEqual({ settings: DEFAULT_CANARY_SETTINGS });
  });

  it('reads the three variables', () => {
    expect(canarySettingsFromEnv({ SKILLOPT_CANARY_PERCENT: '0', SKILLOPT_CANARY_MIN_JUDGED: '20', SKILLOPT_CANARY_MAX_HOURS: ' 0.5 ' })).toEqual({
      settings: { percent: 0, minJudged: 20, maxHours: 0.5, threshold: 0.8 },
    });
    expect(canarySettingsFromEnv({ SKILLOPT_CANARY_PERCENT: '100' })).toEqual({ settings: { ...DEFAULT_CANARY_SETTINGS, percent: 100 } });
  });

  it.each([
    ['SKILLOPT_CANARY_PERCENT', 'abc', 'SKILLOPT_CANARY_PERCENT must be an integer from 0 to 100, got "abc"'],
    ['SKILLOPT_CANARY_PERCENT', '101', 'SKILLOPT_CANARY_PERCENT must be an integer from 0 to 100, got "101"'],
    ['SKILLOPT_CANARY_PERCENT', '-1', 'SKILLOPT_CANARY_PERCENT must be an integer from 0 to 100, got "-1"'],
    ['SKILLOPT_CANARY_PERCENT', '12.5', 'SKILLOPT_CANARY_PERCENT must be an integer from 0 to 100, got "12.5"'],
    ['SKILLOPT_CANARY_PERCENT', '1e1', 'SKILLOPT_CANARY_PERCENT must be an integer from 0 to 100, got "1e1"'],
    ['SKILLOPT_CANARY_MIN_JUDGED', '0', 'SKILLOPT_CANARY_MIN_JUDGED must be an integer of 1 or more, got "0"'],
    ['SKILLOPT_CANARY_MIN_JUDGED', '0x10', 'SKILLOPT_CANARY_MIN_JUDGED must be an integer of 1 or more, got "0x10"'],
    ['SKILLOPT_CANARY_MAX_HOURS', '0', 'SKILLOPT_CANARY_MAX_HOURS must be a number of hours above 0, at most 8760, got "0"'],
    ['SKILLOPT_CANARY_MAX_HOURS', '9000', 'SKILLOPT_CANARY_MAX_HOURS must be a number of hours above 0, at most 8760, got "9000"'],
    ['SKILLOPT_CANARY_MAX_HOURS', 'Infinity', 'SKILLOPT_CANARY_MAX_HOURS must be a number of hours above 0, at most 8760, got "Infinity"'],
  ])('refuses %s=%j in one line', (name, value, error) => {
    expect(canarySettingsFromEnv({ [name]: value })).toEqual({ error });
  });

  it('merges a skill’s overrides, checked the same way', () => {
    const base = settings();
    expect(mergeCanarySettings(base, { percent: 10, threshold: 0.95, maxHours: undefined })).toEqual({ settings: { ...base, percent: 10, threshold: 0.95 } });
    expect(mergeCanarySettings(base, {})).toEqual({ settings: base });
    expect(base).toEqual(DEFAULT_CANARY_SETTINGS);
    expect(mergeCanarySettings(base, { percent: 150 })).toEqual({ error: 'canary setting percent must be an integer from 0 to 100, got 150' });
    expect(mergeCanarySettings(base, { minJudged: 2.5 })).toEqual({ error: 'canary setting minJudged must be an integer of 1 or more, got 2.5' });
    expect(mergeCanarySettings(base, { threshold: 0.5 })).toEqual({ error: 'canary setting threshold must be a number above 0.5 and below 1, got 0.5' });
    expect(mergeCanarySettings(base, { threshold: 1 })).toEqual({ error: 'canary setting threshold must be a number above 0.5 and below 1, got 1' });
    expect(mergeCanarySettings(base, { maxHours: Number.NaN })).toEqual({ error: 'canary setting maxHours must be a number of hours above 0, at most 8760, got NaN' });
  });

  it('refuses overrides stored JSON got wrong: a string, an unknown key', () => {
    const fromJson = (text: string) => JSON.parse(text) as Partial<CanarySettings>;
    expect(mergeCanarySettings(settings(), fromJson('{"percent":"20"}'))).toEqual({ error: 'canary setting percent must be an integer from 0 to 100, got "20"' });
    expect(mergeCanarySettings(settings(), fromJson('{"percnt":20}'))).toEqual({
      error: 'unknown canary setting "percnt"; the settings are percent, minJudged, maxHours, threshold',
    });
  });
});

describe('rollout policy', () => {
  it.each(['canary', 'approval', 'canary+approval', 'direct'])('reads %s', (name) => {
    expect(parseRolloutPolicy(name)).toBe(name);
    expect(parseRolloutPolicy(` ${name}\n`)).toBe(name);
    expect(rolloutPolicyFromEnv({ SKILLOPT_ROLLOUT: name })).toBe(name);
  });

  it('defaults SKILLOPT_ROLLOUT to canary', () => {
    expect(rolloutPolicyFromEnv({})).toBe('canary');
    expect(rolloutPolicyFromEnv({ SKILLOPT_ROLLOUT: '  ' })).toBe('canary');
  });

  it('refuses anything else in one line', () => {
    expect(parseRolloutPolicy('Canary')).toEqual({ error: 'rollout policy must be one of canary, approval, canary+approval, direct, got "Canary"' });
    expect(parseRolloutPolicy('')).toEqual({ error: 'rollout policy must be one of canary, approval, canary+approval, direct, got ""' });
    expect(rolloutPolicyFromEnv({ SKILLOPT_ROLLOUT: 'yolo' })).toEqual({ error: 'SKILLOPT_ROLLOUT must be one of canary, approval, canary+approval, direct, got "yolo"' });
  });
});

describe('logGamma and logBeta', () => {
  it('agree with log factorials and Γ(1/2) = √π', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 170; n += 1) {
      expect(logGamma(n)).toBeCloseTo(logFactorial, 9); // ln Γ(n) = ln (n−1)!
      logFactorial += Math.log(n);
    }
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(logGamma(0.1)).toBeCloseTo(2.2527126517342055, 12); // Python math.lgamma(0.1)
    expect(logGamma(1e6)).toBeCloseTo(12815504.569147611, 4); // Python math.lgamma(1e6)
  });

  it('gives B(2,3) = 1/12 and B(a,b) = B(b,a)', () => {
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 13);
    expect(logBeta(1, 1)).toBeCloseTo(0, 13);
    expect(logBeta(1234, 56)).toBeCloseTo(logBeta(56, 1234), 9);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses x = %d', (x) => {
    expect(() => logGamma(x)).toThrow(RangeError);
  });
});

describe('probabilityCandidateAtLeastStable', () => {
  // Exact rationals: for integer parameters both densities are polynomials, so
  // P = ∫ f_X(x) F_Y(x) dx was integrated term by term with Python's fractions.
  // Two have a short derivation: with no failures X ~ Beta(a,1) has CDF x^a, so
  // 8/8 vs 4/8 is 1 − E[Y^9] for Y ~ Beta(5,5) = 1 − ∏_{j<9} (5+j)/(10+j) = 1 − 1/68,
  // and 2/8 vs 8/8 is E[X^9] for X ~ Beta(3,7) = ∏_{j<9} (3+j)/(10+j) = 1/884.
  // One pass vs nothing: P(U < X) = E[X] for X ~ Beta(2,1), 2/3.
  it.each([
    ['0/0', '0/0', 1 / 2],
    ['1/1', '0/0', 2 / 3],
    ['0/1', '0/0', 1 / 3],
    ['3/3', '0/0', 4 / 5],
    ['1/1', '0/1', 5 / 6],
    ['8/8', '4/8', 67 / 68],
    ['2/8', '8/8', 1 / 884],
    ['5/10', '5/10', 1 / 2],
    ['7/8', '5/9', 587 / 646],
    ['3/5', '4/5', 3 / 11],
    ['5/10', '7/10', 125 / 646],
    ['6/8', '4/8', 184 / 221],
    ['7/7', '5/6', 4 / 5],
    ['5/8', '6/14', 5942 / 7429],
    ['8/12', '8/16', 354696 / 443555],
  ])('P(%s ≥ %s) is the exact value and the integral', (candidate, stable, exact) => {
    expect(P(candidate, stable)).toBeCloseTo(exact, 10);
    expect(integrated(ratio(3, candidate), ratio(2, stable))).toBeCloseTo(exact, 6);
  });

  it('matches the numeric integration across small counts', () => {
    for (const [pc, fc, ps, fs] of [
      [0, 5, 3, 2],
      [4, 0, 0, 4],
      [12, 3, 9, 6],
      [1, 9, 2, 8],
      [20, 20, 19, 21],
      [30, 2, 25, 7],
    ] as const) {
      const c = evidence(3, pc, fc);
      const s = evidence(2, ps, fs);
      expect(probabilityCandidateAtLeastStable(c, s)).toBeCloseTo(integrated(c, s), 6);
    }
  });

  it('stays finite and accurate with counts in the thousands', () => {
    const c = evidence(3, 3000, 1000);
    const s = evidence(2, 2900, 1100);
    const p = probabilityCandidateAtLeastStable(c, s);
    // A normal approximation puts it near Φ(2.54) ≈ 0.994.
    expect(p).toBeCloseTo(integrated(c, s, 400_000), 6);
    expect(p).toBeGreaterThan(0.99);
    // The same sum in 50-digit arithmetic (Python mpmath), the first also by mpmath quadrature:
    // double precision log-gammas keep it within about 1e-11 here.
    expect(p).toBeCloseTo(0.994470632991125, 9);
    expect(probabilityCandidateAtLeastStable(evidence(3, 10_000, 0), evidence(2, 9990, 10))).toBeCloseTo(0.999513060248229, 9);
    expect(probabilityCandidateAtLeastStable(evidence(3, 5000, 5000), evidence(2, 5001, 4999))).toBeCloseTo(0.494358597745356, 9);
  });

  it('sums to 1 with the roles swapped (ties have probability 0)', () => {
    for (const [a, b] of [
      ['0/0', '1/1'],
      ['8/8', '4/8'],
      ['2/8', '8/8'],
      ['7/8', '5/9'],
      ['0/3', '9/9'],
      ['40/50', '30/50'],
      ['2900/4000', '3000/4000'],
    ] as const) {
      expect(P(a, b) + probabilityCandidateAtLeastStable(ratio(2, b), ratio(3, a))).toBeCloseTo(1, 10);
    }
  });

  it('gives exactly 0.5 for equal evidence, however much', () => {
    for (const text of ['0/0', '5/10', '1/1', '700/1000']) expect(P(text, text)).toBe(0.5);
  });

  it('rises with each pass of the candidate and falls with each pass of stable', () => {
    for (let pc = 0; pc < 12; pc += 1) expect(probabilityCandidateAtLeastStable(evidence(3, pc + 1, 4), evidence(2, 5, 4))).toBeGreaterThan(probabilityCandidateAtLeastStable(evidence(3, pc, 4), evidence(2, 5, 4)));
    for (let ps = 0; ps < 12; ps += 1) expect(probabilityCandidateAtLeastStable(evidence(3, 5, 4), evidence(2, ps + 1, 4))).toBeLessThan(probabilityCandidateAtLeastStable(evidence(3, 5, 4), evidence(2, ps, 4)));
  });

  it.each([
    [evidence(3, -1, 0), evidence(2, 0, 0), "version 3's passed and failed must be whole numbers of 0 or more, got -1 and 0"],
    [evidence(3, 1, 0), evidence(2, 0, 1.5), "version 2's passed and failed must be whole numbers of 0 or more, got 0 and 1.5"],
    [evidence(3, Number.NaN, 0), evidence(2, 0, 0), "version 3's passed and failed must be whole numbers of 0 or more, got NaN and 0"],
  ])('refuses counts that are not whole numbers', (candidate, stable, message) => {
    expect(() => probabilityCandidateAtLeastStable(candidate, stable)).toThrow(message);
  });
});

describe('decideCanary', () => {
  it('promotes 8/8 over 4/8: P = 67/68', () => {
    expect(decide('8/8', '4/8')).toEqual({
      action: 'promote',
      probability: expect.closeTo(67 / 68, 10) as number,
      reason: 'candidate v3 8/8 passed vs stable v2 4/8: P(candidate ≥ stable) = 0.99 ≥ 0.8: promote',
    });
  });

  it('promotes 7/8 over 5/9: P = 587/646 ≈ 0.91', () => {
    expect(decide('7/8', '5/9').reason).toBe('candidate v3 7/8 passed vs stable v2 5/9: P(candidate ≥ stable) = 0.91 ≥ 0.8: promote');
  });

  it('reverts 2/8 against 8/8: P = 1/884', () => {
    expect(decide('2/8', '8/8')).toEqual({
      action: 'revert',
      probability: expect.closeTo(1 / 884, 10) as number,
      reason: 'candidate v3 2/8 passed vs stable v2 8/8: P(stable > candidate) > 0.99 ≥ 0.8: revert',
    });
  });

  it('reverts 5/10 against 7/10: 1 − 125/646 ≈ 0.81 just clears 0.8', () => {
    expect(decide('5/10', '7/10')).toMatchObject({ action: 'revert', reason: 'candidate v3 5/10 passed vs stable v2 7/10: P(stable > candidate) = 0.81 ≥ 0.8: revert' });
  });

  it('decides at a threshold met exactly: 7/7 vs 5/6 is 4/5, 0/7 vs 1/6 is 1/5', () => {
    expect(decide('7/7', '5/6')).toMatchObject({ action: 'promote', probability: 0.8 });
    expect(decide('0/7', '1/6')).toMatchObject({ action: 'revert', probability: 0.2 });
  });

  it('extends 5/10 vs 5/10, then promotes the dead heat after the extension', () => {
    expect(decide('5/10', '5/10')).toEqual({
      action: 'extend',
      probability: 0.5,
      reason: 'candidate v3 5/10 passed vs stable v2 5/10: P(candidate ≥ stable) = 0.50, neither it nor 1 − it reaches 0.8: extending by 168 h (one more period)',
    });
    expect(decide('5/10', '5/10', { extended: true })).toMatchObject({ action: 'wait' });
    expect(decide('5/10', '5/10', { extended: true, deadlinePassed: true })).toEqual({
      action: 'promote',
      probability: 0.5,
      reason: 'candidate v3 5/10 passed vs stable v2 5/10: P(candidate ≥ stable) = 0.50 after two periods, short of 0.8 either way: decided on the balance, ≥ 0.5: promote',
    });
  });

  it('extends 3/5 vs 4/5 (P = 3/11), then reverts on the balance', () => {
    expect(decide('3/5', '4/5')).toMatchObject({ action: 'extend' });
    expect(decide('3/5', '4/5', { extended: true, deadlinePassed: true })).toMatchObject({
      action: 'revert',
      reason: 'candidate v3 3/5 passed vs stable v2 4/5: P(candidate ≥ stable) = 0.27 after two periods, short of 0.8 either way: decided on the balance, < 0.5: revert',
    });
  });

  it('waits until both versions have minJudged judged invocations', () => {
    expect(decide('2/3', '1/1')).toEqual({
      action: 'wait',
      probability: expect.closeTo(0.4, 10) as number,
      reason: 'candidate v3 2/3 passed vs stable v2 1/1: waiting for 5 judged invocations of each',
    });
    expect(decide('9/9', '1/4')).toMatchObject({ action: 'wait' });
    expect(decide('1/4', '9/9')).toMatchObject({ action: 'wait' });
    expect(decide('1/1', '0/1', { settings: { minJudged: 1 } })).toMatchObject({ action: 'promote', probability: expect.closeTo(5 / 6, 10) as number });
  });

  it('decides on what there is once the period is over, and says so', () => {
    expect(decide('3/3', '0/0', { deadlinePassed: true })).toEqual({
      action: 'promote',
      probability: 0.8,
      reason: 'candidate v3 3/3 passed vs stable v2 0/0: period over with fewer than 5 judged each; P(candidate ≥ stable) = 0.80 ≥ 0.8: promote',
    });
    expect(decide('1/1', '0/0', { deadlinePassed: true })).toMatchObject({ action: 'extend' });
    expect(decide('1/1', '0/0', { deadlinePassed: true, extended: true })).toMatchObject({ action: 'promote', probability: expect.closeTo(2 / 3, 10) as number });
    expect(decide('0/1', '0/0', { deadlinePassed: true, extended: true })).toMatchObject({ action: 'revert' });
  });

  it('extends once when nobody used the candidate, then does not keep it', () => {
    expect(decide('0/0', '6/9')).toMatchObject({ action: 'wait' });
    expect(decide('0/0', '6/9', { deadlinePassed: true })).toEqual({
      action: 'extend',
      probability: expect.closeTo(4 / 11, 10) as number,
      reason: 'candidate v3 0/0 passed vs stable v2 6/9: no judged invocation of the candidate this period: extending by 168 h (one more period)',
    });
    expect(decide('0/0', '6/9', { deadlinePassed: true, extended: true })).toMatchObject({
      action: 'revert',
      reason: 'candidate v3 0/0 passed vs stable v2 6/9: no evidence after two periods: the candidate is not kept: revert',
    });
    expect(decide('0/0', '0/0', { deadlinePassed: true, extended: true })).toMatchObject({ action: 'revert' });
  });

  it('never shows a rounded probability on the wrong side of the threshold', () => {
    // 5942/7429 = 0.79984 and 354696/443555 = 0.79967: shown as 0.80 they would read "0.80, neither … reaches 0.8".
    expect(decide('5/8', '6/14').reason).toContain('P(candidate ≥ stable) = 0.7998, neither');
    expect(decide('8/12', '8/16').reason).toContain('P(candidate ≥ stable) = 0.7997, neither');
  });

  it('follows the settings: a higher threshold, a shorter period', () => {
    expect(decide('7/8', '5/9', { settings: { threshold: 0.95 } })).toMatchObject({
      action: 'extend',
      reason: 'candidate v3 7/8 passed vs stable v2 5/9: P(candidate ≥ stable) = 0.91, neither it nor 1 − it reaches 0.95: extending by 168 h (one more period)',
    });
    expect(decide('5/10', '5/10', { settings: { maxHours: 24 } }).reason).toContain('extending by 24 h');
  });

  it('gives one line with the numbers for every outcome', () => {
    const cases = ['0/0', '1/1', '3/5', '5/10', '7/8', '2/8', '8/8', '4/8'];
    for (const c of cases) {
      for (const s of cases) {
        for (const deadlinePassed of [false, true]) {
          for (const extended of [false, true]) {
            const { reason, probability } = decide(c, s, { deadlinePassed, extended });
            expect(reason).not.toMatch(/[\r\n]/);
            expect(reason.startsWith(`candidate v3 ${c} passed vs stable v2 ${s}: `)).toBe(true);
            expect(probability).toBeGreaterThanOrEqual(0);
            expect(probability).toBeLessThanOrEqual(1);
          }
        }
      }
    }
  });
});

describe('version state transitions', () => {
  const allowed = new Set(['candidate→stable', 'candidate→rejected', 'stable→retired']);

  it('allows candidate → stable or rejected and stable → retired, nothing else', () => {
    for (const from of VERSION_STATES) {
      for (const to of VERSION_STATES) expect(canTransition(from, to), `${from}→${to}`).toBe(allowed.has(`${from}→${to}`));
    }
    expect(nextStates('candidate')).toEqual(['stable', 'rejected']);
    expect(nextStates('stable')).toEqual(['retired']);
    expect(nextStates('rejected')).toEqual([]);
    expect(nextStates('retired')).toEqual([]);
  });

  it('says why a transition is refused, in one line', () => {
    expect(describeTransitionRefusal('rejected', 'stable')).toBe('a rejected version cannot become stable: rejected is final (push a new version instead)');
    expect(describeTransitionRefusal('retired', 'stable')).toBe('a retired version cannot become stable: retired is final (push a new version instead)');
    expect(describeTransitionRefusal('candidate', 'retired')).toBe('a candidate version cannot become retired: it can only become stable or rejected');
    expect(describeTransitionRefusal('stable', 'candidate')).toBe('a stable version cannot become candidate: it can only become retired');
    expect(describeTransitionRefusal('stable', 'stable')).toBe('the version is already stable');
    expect(describeTransitionRefusal('candidate', 'stable')).toBe('a candidate version may become stable');
  });
});

describe('requireRolloutDefaults', () => {
  it('gives the team defaults, or throws the malformed setting\'s one line', () => {
    expect(requireRolloutDefaults({ SKILLOPT_ROLLOUT: 'approval', SKILLOPT_CANARY_PERCENT: '20' })).toEqual({ policy: 'approval', canary: { ...DEFAULT_CANARY_SETTINGS, percent: 20 }, precheck: DEFAULT_PRECHECK_SETTINGS });
    expect(() => requireRolloutDefaults({ SKILLOPT_CANARY_PERCENT: 'abc' })).toThrow('SKILLOPT_CANARY_PERCENT must be an integer from 0 to 100, got "abc"');
  });
});
