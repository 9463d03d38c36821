import { describe, expect, it } from 'vitest';
import { abBucket } from '../../core/bucket';
import {
  DEFAULT_CANARY_SETTINGS,
  canTransition,
  canaryBucket,
  canarySettingsFromEnv,
  describeTransitionRefusal,
  inCanaryCohort,
  mergeCanarySettings,
  nextStates,
  parseRolloutPolicy,
  pullChoice,
  rolloutPolicyFromEnv,
  type CanarySettings,
} from '../../core/rollout';
import { VERSION_STATES } from '../../core/rollout-types';

const settings = (overrides: Partial<CanarySettings> = {}): CanarySettings => ({ ...DEFAULT_CANARY_SETTINGS, ...overrides });

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
