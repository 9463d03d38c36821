// The rollout's rules (DESIGN.md "Rollout"): who is in the canary cohort, what
// pull installs for them, the canary's settings and which state changes a
// version may make. Pure: the lane workflow calls these too.

import { fnv1a32 } from './bucket';
import { ROLLOUT_POLICIES, DEFAULT_ROLLOUT_POLICY, type RolloutPolicy, type VersionState } from './rollout-types';

// ---------------------------------------------------------------- cohort

/** A user's canary bucket, 0..99: the session A/B bucket's hash, mod 100. */
export function canaryBucket(user: string): number {
  return Math.abs(fnv1a32(user) | 0) % 100;
}

/** In the cohort when the bucket is below `percent` (0: nobody, 100: everyone). */
export function inCanaryCohort(user: string, percent: number): boolean {
  const problem = percentProblem(percent);
  if (problem) throw new RangeError(`canary percent ${problem}`);
  return canaryBucket(user) < percent;
}

/** What pull installs for one user: the candidate for the cohort when there is one, else stable; undefined when nothing is theirs. */
export function pullChoice(input: { user: string; percent: number; stable?: number; candidate?: number }): { version: number; as: 'stable' | 'candidate' } | undefined {
  // A first version pushed with --canary has no stable: the cohort tries it, the others get nothing yet.
  if (input.candidate !== undefined && inCanaryCohort(input.user, input.percent)) return { version: input.candidate, as: 'candidate' };
  if (input.stable !== undefined) return { version: input.stable, as: 'stable' };
  return undefined;
}

// ---------------------------------------------------------------- settings

export interface CanarySettings {
  /** Share of users in the cohort, an integer 0..100. */
  percent: number;
  /** Judged invocations each version needs before the evidence decides (at least 1). */
  minJudged: number;
  /** Longest the canary waits for that evidence, in hours (once more when inconclusive). */
  maxHours: number;
  /** P(candidate ≥ stable) that promotes, and P(stable > candidate) that reverts: above 0.5, below 1. */
  threshold: number;
}

export const DEFAULT_CANARY_SETTINGS: Readonly<CanarySettings> = Object.freeze({ percent: 50, minJudged: 5, maxHours: 168, threshold: 0.8 });
/** A year: a longer canary is a typo more likely than a plan. */
export const MAX_CANARY_HOURS = 24 * 365;

type SettingsResult = { settings: CanarySettings } | { error: string };
type SettingKey = keyof CanarySettings;

const SETTING_PROBLEMS: Record<SettingKey, (value: number) => string | undefined> = {
  percent: percentProblem,
  minJudged: (value) => (Number.isInteger(value) && value >= 1 ? undefined : 'must be an integer of 1 or more'),
  maxHours: (value) => (Number.isFinite(value) && value > 0 && value <= MAX_CANARY_HOURS ? undefined : `must be a number of hours above 0, at most ${MAX_CANARY_HOURS}`),
  threshold: (value) => (Number.isFinite(value) && value > 0.5 && value < 1 ? undefined : 'must be a number above 0.5 and below 1'),
};

const SETTING_ENV: Partial<Record<SettingKey, string>> = {
  percent: 'SKILLOPT_CANARY_PERCENT',
  minJudged: 'SKILLOPT_CANARY_MIN_JUDGED',
  maxHours: 'SKILLOPT_CANARY_MAX_HOURS',
};

function percentProblem(value: number): string | undefined {
  return Number.isInteger(value) && value >= 0 && value <= 100 ? undefined : 'must be an integer from 0 to 100';
}

/** The canary settings from SKILLOPT_CANARY_PERCENT, _MIN_JUDGED and _MAX_HOURS: unset or blank → the default; a bad value → its one-line error. */
export function canarySettingsFromEnv(env: Record<string, string | undefined>): SettingsResult {
  const settings: CanarySettings = { ...DEFAULT_CANARY_SETTINGS };
  for (const [key, name] of Object.entries(SETTING_ENV) as [SettingKey, string][]) {
    const raw = env[name];
    const text = raw?.trim() ?? '';
    if (text === '') continue;
    // Plain decimals only: Number() would also take "0x10", "1e2" and "Infinity".
    const value = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
    const problem = SETTING_PROBLEMS[key](value);
    if (problem) return { error: `${name} ${problem}, got ${JSON.stringify(raw)}` };
    settings[key] = value;
  }
  return { settings };
}

/** `base` with a skill's own overrides, each checked as the environment's are (undefined: keep base's). */
export function mergeCanarySettings(base: CanarySettings, overrides: Partial<CanarySettings>): SettingsResult {
  const settings: CanarySettings = { ...base };
  // Overrides come from stored JSON, so neither the keys nor the types are taken on trust.
  for (const [key, value] of Object.entries(overrides) as [string, unknown][]) {
    if (value === undefined) continue;
    if (!isSettingKey(key)) return { error: `unknown canary setting ${JSON.stringify(key)}; the settings are ${Object.keys(SETTING_PROBLEMS).join(', ')}` };
    const number = typeof value === 'number' ? value : Number.NaN;
    const problem = SETTING_PROBLEMS[key](number);
    if (problem) return { error: `canary setting ${key} ${problem}, got ${typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value))}` };
    settings[key] = number;
  }
  return { settings };
}

function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_PROBLEMS, key);
}

/** A rollout policy by name (surrounding blanks ignored), or a one-line error. */
export function parseRolloutPolicy(text: string): RolloutPolicy | { error: string } {
  return policyNamed(text) ?? { error: `rollout policy ${policyProblem(text)}` };
}

/** SKILLOPT_ROLLOUT: unset or blank → canary. */
export function rolloutPolicyFromEnv(env: Record<string, string | undefined>): RolloutPolicy | { error: string } {
  const raw = env.SKILLOPT_ROLLOUT;
  if ((raw?.trim() ?? '') === '') return DEFAULT_ROLLOUT_POLICY;
  return policyNamed(raw ?? '') ?? { error: `SKILLOPT_ROLLOUT ${policyProblem(raw ?? '')}` };
}

function policyNamed(text: string): RolloutPolicy | undefined {
  const name = text.trim();
  return ROLLOUT_POLICIES.find((policy) => policy === name);
}

function policyProblem(text: string): string {
  return `must be one of ${ROLLOUT_POLICIES.join(', ')}, got ${JSON.stringify(text)}`;
}

// ---------------------------------------------------------------- states

// candidate → stable (promote, approve) or rejected (revert, reject); stable →
// retired (a promotion or a push replaced it). Rejected and retired are final:
// a version that was turned down or replaced is never served again, a new one is pushed.
const NEXT_STATES: Readonly<Record<VersionState, readonly VersionState[]>> = {
  candidate: ['stable', 'rejected'],
  stable: ['retired'],
  rejected: [],
  retired: [],
};

/** The states a version in `from` may move to. */
export function nextStates(from: VersionState): readonly VersionState[] {
  return NEXT_STATES[from];
}

export function canTransition(from: VersionState, to: VersionState): boolean {
  return NEXT_STATES[from].includes(to);
}

/** Why `from` → `to` is refused, in one line (for an allowed pair: that it is allowed). */
export function describeTransitionRefusal(from: VersionState, to: VersionState): string {
  if (canTransition(from, to)) return `a ${from} version may become ${to}`;
  if (from === to) return `the version is already ${to}`;
  const next = NEXT_STATES[from];
  if (next.length === 0) return `a ${from} version cannot become ${to}: ${from} is final (push a new version instead)`;
  return `a ${from} version cannot become ${to}: it can only become ${next.join(' or ')}`;
}
