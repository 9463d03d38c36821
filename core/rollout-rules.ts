// The rollout's rules (DESIGN.md "Rollout"): who is in the canary cohort, what
// pull installs for them, the canary's settings, when the evidence promotes or
// reverts a candidate, and which state changes a version may make. Pure: the
// lane workflow calls these with the clock's answer (`deadlinePassed`) and the
// counts the store holds, so a replay decides the same way.
//
// The decision rule
// -----------------
// Each version's pass rate p is unknown; its judged invocations are Bernoulli
// trials (not-judged never counts). With a uniform Beta(1,1) prior the
// posteriors are
//
//   p_cand   ~ Beta(1 + pc, 1 + fc)     pc, fc: the candidate's passed, failed
//   p_stable ~ Beta(1 + ps, 1 + fs)     ps, fs: stable's, over the same period
//
// and the quantity decided on is p = P(p_cand ≥ p_stable), the chance the
// candidate is at least as good. Both are continuous, so ties have probability
// 0: P(p_cand ≥ p_stable) = P(p_cand > p_stable), and swapping the two gives 1 − p.
//
// For X ~ Beta(a1, b1), Y ~ Beta(a2, b2) with a1 an integer (here a1 = 1 + pc),
//
//   P(X > Y) = Σ_{i=0}^{a1−1} B(a2 + i, b1 + b2) / ((b1 + i) · B(1 + i, b1) · B(a2, b2))
//
// exactly (expand X's upper tail, a binomial sum for integer a1, and integrate
// it against Y's density term by term). Every term is positive; each is
// computed as exp of a sum of log-beta values, so counts in the thousands
// neither overflow nor underflow the way the Beta functions themselves would.
//
// decideCanary, with n_c, n_s the judged counts and t the threshold (default 0.8):
//   1. n_c < minJudged or n_s < minJudged, period not over   → wait.
//   2. period over and n_c = 0 → extend once; after the extension → revert:
//      an edit nobody in the cohort used is untested, and the stable version
//      the team already relies on is kept rather than a change no one tried.
//   3. p ≥ t → promote; 1 − p ≥ t → revert (t > 0.5, so at most one holds).
//   4. inconclusive: not extended yet → extend (one more maxHours period, from
//      now); extended, period not over → wait (the extension is there to
//      collect evidence, so it is not cut short); extended and over → decide on
//      the balance: p ≥ 0.5 promote, else revert. A dead heat (p = 0.5)
//      promotes: the candidate was written to fix failures the team hit, and
//      two periods showed it no worse.
// "Period over" (deadlinePassed) is the caller's: the first maxHours, or the
// extension's once it extended. minJudged is at least 1, so a decision on
// evidence always has a judged invocation of each version behind it.

import { fnv1a32 } from './bucket';
import { DEFAULT_HELD_OUT, MAX_HELD_OUT } from './precheck';
import {
  ROLLOUT_POLICIES,
  DEFAULT_ROLLOUT_POLICY,
  type CanarySettings,
  type PrecheckSetting,
  type PrecheckSettings,
  type RolloutDefaults,
  type RolloutPolicy,
  type VersionEvidence,
  type VersionState,
} from './rollout-types';

export type { CanarySettings };

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

/** The team's pre-publish check unless SKILLOPT_PRECHECK says otherwise: on, against 3 held-out passes. */
export const DEFAULT_PRECHECK_SETTINGS: PrecheckSettings = { on: true, heldOut: DEFAULT_HELD_OUT };

/** SKILLOPT_PRECHECK (on|off; unset or blank: on) and SKILLOPT_PRECHECK_HELD_OUT (0 to 10; default 3). */
export function precheckSettingsFromEnv(env: Record<string, string | undefined>): PrecheckSettings | { error: string } {
  const raw = env.SKILLOPT_PRECHECK;
  const text = raw?.trim().toLowerCase() ?? '';
  if (text !== '' && text !== 'on' && text !== 'off') return { error: `SKILLOPT_PRECHECK must be on or off, got ${JSON.stringify(raw)}` };
  const held = env.SKILLOPT_PRECHECK_HELD_OUT?.trim() ?? '';
  const heldOut = held === '' ? DEFAULT_HELD_OUT : /^\d+$/.test(held) ? Number(held) : Number.NaN;
  if (!(heldOut <= MAX_HELD_OUT)) return { error: `SKILLOPT_PRECHECK_HELD_OUT must be a whole number from 0 to ${MAX_HELD_OUT}, got ${JSON.stringify(env.SKILLOPT_PRECHECK_HELD_OUT)}` };
  return { on: text !== 'off', heldOut };
}

/** The team's check with a skill's own on/off (null: the team's). */
export function effectivePrecheck(team: PrecheckSettings | undefined, own: PrecheckSetting | null | undefined): PrecheckSettings {
  const base = team ?? DEFAULT_PRECHECK_SETTINGS;
  return own ? { ...base, on: own === 'on' } : base;
}

function policyNamed(text: string): RolloutPolicy | undefined {
  const name = text.trim();
  return ROLLOUT_POLICIES.find((policy) => policy === name);
}

function policyProblem(text: string): string {
  return `must be one of ${ROLLOUT_POLICIES.join(', ')}, got ${JSON.stringify(text)}`;
}

// ---------------------------------------------------------------- statistics

// Lanczos approximation, g = 7, 9 terms: about 15 significant digits for x ≥ 0.5.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`logGamma needs a finite x above 0, got ${String(x)}`);
  // Γ(x) = Γ(x + 1) / x carries small x into the range where Lanczos is accurate.
  if (x < 0.5) return logGamma(x + 1) - Math.log(x);
  const z = x - 1;
  let series = LANCZOS[0] ?? 0;
  for (let i = 1; i < LANCZOS.length; i += 1) series += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * P(p_cand ≥ p_stable) under the Beta(1,1)-prior posteriors (the comment at
 * the top): exact, by the closed-form sum over the candidate's passes.
 */
export function probabilityCandidateAtLeastStable(candidate: VersionEvidence, stable: VersionEvidence): number {
  assertCounts(candidate);
  assertCounts(stable);
  // Equal evidence is a dead heat by symmetry: say 0.5 exactly, not 0.5 ± rounding.
  if (candidate.passed === stable.passed && candidate.failed === stable.failed) return 0.5;
  const [a1, b1, a2, b2] = [1 + candidate.passed, 1 + candidate.failed, 1 + stable.passed, 1 + stable.failed];
  const logBetaStable = logBeta(a2, b2);
  let sum = 0;
  for (let i = 0; i < a1; i += 1) {
    sum += Math.exp(logBeta(a2 + i, b1 + b2) - Math.log(b1 + i) - logBeta(1 + i, b1) - logBetaStable);
  }
  // The sum is good to about 1e-11 even at ten thousand judged; ten decimals
  // let a result that is exactly a threshold (3/3 vs 0/0 is 4/5) compare as
  // the exact value does.
  return Math.min(1, Math.max(0, Number(sum.toFixed(10))));
}

function assertCounts(evidence: VersionEvidence): void {
  for (const count of [evidence.passed, evidence.failed]) {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`version ${evidence.version}'s passed and failed must be whole numbers of 0 or more, got ${evidence.passed} and ${evidence.failed}`);
    }
  }
}

/** The team's defaults from SKILLOPT_ROLLOUT, SKILLOPT_CANARY_* and SKILLOPT_PRECHECK*, or the first malformed one's one-line error. */
export function rolloutDefaultsFromEnv(env: Record<string, string | undefined>): { defaults: RolloutDefaults } | { error: string } {
  const policy = rolloutPolicyFromEnv(env);
  if (typeof policy !== 'string') return policy;
  const canary = canarySettingsFromEnv(env);
  if ('error' in canary) return canary;
  const precheck = precheckSettingsFromEnv(env);
  if ('error' in precheck) return precheck;
  return { defaults: { policy, canary: canary.settings, precheck } };
}

/** The same, throwing the one-line error: a process (worker, pull, report) does not run on a malformed setting. */
export function requireRolloutDefaults(env: Record<string, string | undefined>): RolloutDefaults {
  const read = rolloutDefaultsFromEnv(env);
  if ('error' in read) throw new Error(read.error);
  return read.defaults;
}

/** The percent of users who get a candidate: nobody before a person approves under `approval`. */
export function cohortPercent(rollout: RolloutDefaults): number {
  return rollout.policy === 'approval' ? 0 : rollout.canary.percent;
}

// ---------------------------------------------------------------- decision

export type CanaryAction = 'wait' | 'promote' | 'revert' | 'extend';

export interface CanaryDecision {
  /** `wait`: call again with more evidence or once the period is over; `extend`: run one more maxHours period, then call with `extended`. */
  action: CanaryAction;
  /** P(candidate ≥ stable) on the evidence so far (also while waiting). */
  probability: number;
  /** One line with the numbers, for the version's transition and the dashboard. */
  reason: string;
}

export interface CanaryInput {
  candidate: VersionEvidence;
  stable: VersionEvidence;
  settings: CanarySettings;
  /** The current period (the first, or the extension once extended) is over. */
  deadlinePassed: boolean;
  /** The canary already ran its one extra period. */
  extended: boolean;
}

/** What the canary does next (the rule is the comment at the top of this file). */
export function decideCanary(input: CanaryInput): CanaryDecision {
  const { candidate, stable, settings, deadlinePassed, extended } = input;
  const p = probabilityCandidateAtLeastStable(candidate, stable);
  const evidence = `candidate ${evidenceText(candidate)} passed vs stable ${evidenceText(stable)}`;
  const decision = (action: CanaryAction, why: string): CanaryDecision => ({ action, probability: p, reason: `${evidence}: ${why}` });
  const enough = judged(candidate) >= settings.minJudged && judged(stable) >= settings.minJudged;
  const extension = `extending by ${settings.maxHours} h (one more period)`;

  if (!enough && !deadlinePassed) return decision('wait', `waiting for ${settings.minJudged} judged invocations of each`);
  if (judged(candidate) === 0) {
    return extended
      ? decision('revert', 'no evidence after two periods: the candidate is not kept: revert')
      : decision('extend', `no judged invocation of the candidate this period: ${extension}`);
  }
  // The period ended short of minJudged: what there is decides, and the line says so.
  const short = enough ? '' : `period over with fewer than ${settings.minJudged} judged each; `;
  const t = settings.threshold;
  if (p >= t) return decision('promote', `${short}P(candidate ≥ stable) ${probabilityText(p, t)} ≥ ${t}: promote`);
  if (1 - p >= t) return decision('revert', `${short}P(stable > candidate) ${probabilityText(1 - p, t)} ≥ ${t}: revert`);
  const inconclusive = `${short}P(candidate ≥ stable) ${probabilityText(p, t)}, neither it nor 1 − it reaches ${t}`;
  if (!extended) return decision('extend', `${inconclusive}: ${extension}`);
  if (!deadlinePassed) return decision('wait', `${inconclusive}: waiting for the extension to end`);
  // Shown against 0.5 now, so a 0.4996 is not printed as 0.50 next to "< 0.5".
  const balance = `${short}P(candidate ≥ stable) ${probabilityText(p, 0.5)} after two periods, short of ${t} either way: decided on the balance`;
  return p >= 0.5 ? decision('promote', `${balance}, ≥ 0.5: promote`) : decision('revert', `${balance}, < 0.5: revert`);
}

function judged(evidence: VersionEvidence): number {
  return evidence.passed + evidence.failed;
}

function evidenceText(evidence: VersionEvidence): string {
  return `v${evidence.version} ${evidence.passed}/${judged(evidence)}`;
}

/**
 * "= 0.91", "< 0.01" or "> 0.99": two decimals, more when rounding would put
 * the shown number on the other side of `bound` than the real one (0.7996 is
 * never shown as 0.80 next to "< 0.8").
 */
function probabilityText(p: number, bound: number): string {
  if (p > 0 && p < 0.005 && bound > 0.01) return '< 0.01';
  if (p < 1 && p > 0.995 && bound <= 0.99) return '> 0.99';
  for (let digits = 2; digits <= 6; digits += 1) {
    const text = p.toFixed(digits);
    if (Number(text) >= bound === p >= bound) return `= ${text}`;
  }
  return `= ${String(p)}`;
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
