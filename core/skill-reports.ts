// `skillopt report`'s data: per skill and version, how it went (sessions with it
// in context, judged invocations, success rate with a 95% Wilson interval,
// distinct users), the live canary comparison, every state change with who
// decided and why, and the edits. Pure: the store rows come in (team/skill-report.ts
// reads them), the report goes out, the same on the CLI's store path and on the
// central worker serving a teammate, so both print exactly the same thing.
import { cutText } from './text';
import { formatSkillRef, type SkillRef } from './skill-ref';
import { probabilityCandidateAtLeastStable } from './rollout-rules';
import type { RolloutPolicy, VersionEvidence, VersionState, VersionTransition } from './rollout-types';
import type { CheckOutcome } from './precheck';

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * The Wilson score interval of a success rate: successes of n trials, z
 * standard deviations (default 95%). Unlike the normal approximation it stays
 * inside [0, 1] and is not zero-width at 0/n or n/n, which matters at the
 * handful of judged invocations a canary runs on. undefined for n = 0.
 *
 *   centre = (p + z²/2n) / (1 + z²/n)
 *   half   = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²)
 */
export function wilsonInterval(successes: number, n: number, z = Z_95): Interval | undefined {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`a success rate needs whole numbers 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  }
  if (!(z > 0) || !Number.isFinite(z)) throw new RangeError(`z must be a finite number above 0, got ${z}`);
  if (n === 0) return undefined;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Exact at the ends (0/n has low 0, n/n high 1), not 1e-17 off.
  return { low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === n ? 1 : Math.min(1, centre + half) };
}

// ---------------------------------------------------------------- caps

/** Versions listed per skill: the stable and candidate ones always, then the newest. */
export const MAX_REPORT_VERSIONS = 20;
/** State changes listed per skill, newest first. */
export const MAX_REPORT_DECISIONS = 30;
/** Edits listed per skill, newest first. */
export const MAX_REPORT_EDITS = 10;
/** A decision's reason is cut to this many characters (the lane's reasons are one short line). */
export const MAX_REPORT_REASON_CHARS = 500;
/** Each edit summary is cut to this many characters. */
export const MAX_REPORT_SUMMARY_CHARS = 300;

// ---------------------------------------------------------------- input

/** What the report needs of a stored version (store/types SkillVersion has it). */
export interface ReportVersionInput {
  version: number;
  state: VersionState;
  createdAt: string;
  createdBy: string;
  /** A proposal waiting for an owner: who proposed it. */
  proposedBy?: string | null;
  /** What the pre-publish check said of it; null or absent: not checked. */
  precheck?: CheckOutcome | null;
}

/** One version's use since the report's start (store/types VersionUsage). */
export interface ReportUsageInput {
  version: number;
  sessions: number;
  passed: number;
  failed: number;
  users: number;
}

/** What the report needs of an edit record (store/types EditRecord has it). */
export interface ReportEditInput {
  publishedVersion: number;
  baseVersion: number;
  status: 'proposed' | 'applied' | 'reverted';
  summaries: string[];
  createdAt: string;
  resolvedAt: string | null;
}

export interface ReportInput {
  ref: SkillRef;
  /** ISO-8601: where the counts start. */
  since: string;
  /** The policy in force, and whether it is the skill's own or the team default. */
  policy: RolloutPolicy;
  policyIsDefault: boolean;
  /** Whether its edits are checked before anyone gets them, and whether that is the skill's own setting or the team's. */
  precheck: { on: boolean; isDefault: boolean };
  /** Every version of the skill, any order. */
  versions: ReportVersionInput[];
  usage: ReportUsageInput[];
  /** Every state change, oldest first (store transitions). */
  transitions: VersionTransition[];
  /** The most recent edits, newest first (at least MAX_REPORT_EDITS when there are that many). */
  edits: ReportEditInput[];
  /** How many edits the skill has in all (store editStats().published). */
  editsTotal: number;
  /** The candidate on trial's evidence so far, when there is a candidate (store canaryEvidence from its publish). */
  canary?: {
    candidate: VersionEvidence;
    /** Absent for a first version pushed with --canary: nothing to compare against. */
    stable?: VersionEvidence & { since: string };
    /** The settings it is decided with: judged invocations wanted of each, and the probability that decides. */
    minJudged: number;
    threshold: number;
  };
}

// ---------------------------------------------------------------- output (`report --json`, one element per skill)

export interface VersionReport {
  version: number;
  state: VersionState;
  /** A proposal waiting for an owner: who proposed it. */
  proposedBy?: string;
  createdAt: string;
  createdBy: string;
  /** Distinct sessions that had this version in context at SessionStart, since `since`. */
  sessions: number;
  /** Judged invocations since `since` (one per invocation: failed if any verdict failed; not-judged never counts). */
  judged: number;
  passed: number;
  failed: number;
  /** passed / judged; null when nothing was judged. */
  successRate: number | null;
  /** 95% Wilson score interval of the success rate; null when nothing was judged. */
  interval: Interval | null;
  /** Distinct users of those sessions and judged invocations. */
  users: number;
  /** What the pre-publish check said of it (addressed k of n failures, made worse r of m passes, unanswered u, and why it went on or was turned down); null: not checked. */
  precheck: CheckOutcome | null;
}

/** The candidate's trial as the evidence stands (the lane decides with the same numbers). */
export interface CanaryReading {
  candidate: VersionEvidence;
  /** null when there is no stable version to compare with. */
  stable: (VersionEvidence & { since: string }) | null;
  /** P(candidate ≥ stable) under Beta(1,1) posteriors (core/rollout-rules.ts); null without a stable version. */
  probability: number | null;
  minJudged: number;
  threshold: number;
}

/**
 * One state change: a publish (from null), a promotion, a revert, an approval,
 * a retirement. Its reason (a canary decision's holds its numbers) is cut to
 * MAX_REPORT_REASON_CHARS.
 */
export type DecisionReport = Omit<VersionTransition, 'name' | 'author'>;

export interface EditReport {
  /** The version the edit published, and the one it was made from. */
  version: number;
  baseVersion: number;
  /** proposed (awaiting its outcome), applied (kept) or reverted (turned down). */
  status: 'proposed' | 'applied' | 'reverted';
  summaries: string[];
  createdAt: string;
  resolvedAt: string | null;
}

export interface SkillReport {
  ref: string;
  stable: number | null;
  candidate: number | null;
  policy: RolloutPolicy;
  policySource: 'skill' | 'team default';
  /** Whether the skill's edits are checked before anyone gets them (absent from an older central worker's report). */
  precheck?: { on: boolean; source: 'skill' | 'team default' };
  since: string;
  /** Newest first: the stable and candidate versions always, then the newest others, MAX_REPORT_VERSIONS in all. */
  versions: VersionReport[];
  /** Versions left out by the cap. */
  versionsOmitted: number;
  /** null when no candidate is on trial. */
  canary: CanaryReading | null;
  /** Newest first, at most MAX_REPORT_DECISIONS. */
  decisions: DecisionReport[];
  decisionsOmitted: number;
  /** Newest first, at most MAX_REPORT_EDITS. */
  edits: EditReport[];
  editsOmitted: number;
}

// ---------------------------------------------------------------- shaping

function versionReport(v: ReportVersionInput, usage: ReportUsageInput | undefined): VersionReport {
  const passed = usage?.passed ?? 0;
  const failed = usage?.failed ?? 0;
  const judged = passed + failed;
  return {
    version: v.version,
    state: v.state,
    ...(v.proposedBy ? { proposedBy: v.proposedBy } : {}),
    createdAt: v.createdAt,
    createdBy: v.createdBy,
    sessions: usage?.sessions ?? 0,
    judged,
    passed,
    failed,
    successRate: judged === 0 ? null : passed / judged,
    interval: wilsonInterval(passed, judged) ?? null,
    users: usage?.users ?? 0,
    precheck: v.precheck ?? null,
  };
}

/** The store's rows for one skill shaped into its report (caps applied, each said by an `…Omitted` count). */
export function buildSkillReport(input: ReportInput): SkillReport {
  const usage = new Map(input.usage.map((u) => [u.version, u]));
  const newestFirst = [...input.versions].sort((a, b) => b.version - a.version);
  const stable = newestFirst.find((v) => v.state === 'stable');
  const candidate = newestFirst.find((v) => v.state === 'candidate');
  const live = new Set([stable?.version, candidate?.version]);
  const others = newestFirst.filter((v) => !live.has(v.version)).slice(0, Math.max(0, MAX_REPORT_VERSIONS - [stable, candidate].filter(Boolean).length));
  const listed = newestFirst.filter((v) => live.has(v.version) || others.includes(v));

  const decisions = [...input.transitions].reverse().slice(0, MAX_REPORT_DECISIONS);
  const edits = input.edits.slice(0, MAX_REPORT_EDITS);

  let canary: CanaryReading | null = null;
  if (candidate && input.canary) {
    const { stable: against } = input.canary;
    canary = {
      candidate: input.canary.candidate,
      stable: against ?? null,
      probability: against ? probabilityCandidateAtLeastStable(input.canary.candidate, against) : null,
      minJudged: input.canary.minJudged,
      threshold: input.canary.threshold,
    };
  }

  return {
    ref: formatSkillRef(input.ref),
    stable: stable?.version ?? null,
    candidate: candidate?.version ?? null,
    policy: input.policy,
    policySource: input.policyIsDefault ? 'team default' : 'skill',
    precheck: { on: input.precheck.on, source: input.precheck.isDefault ? 'team default' : 'skill' },
    since: input.since,
    versions: listed.map((v) => versionReport(v, usage.get(v.version))),
    versionsOmitted: input.versions.length - listed.length,
    canary,
    decisions: decisions.map((t) => ({
      version: t.version,
      from: t.from,
      to: t.to,
      decidedBy: t.decidedBy,
      reason: cutText(t.reason, MAX_REPORT_REASON_CHARS),
      at: t.at,
    })),
    decisionsOmitted: input.transitions.length - decisions.length,
    edits: edits.map((e) => ({
      version: e.publishedVersion,
      baseVersion: e.baseVersion,
      status: e.status,
      summaries: e.summaries.map((s) => cutText(s, MAX_REPORT_SUMMARY_CHARS)),
      createdAt: e.createdAt,
      resolvedAt: e.resolvedAt,
    })),
    editsOmitted: Math.max(0, input.editsTotal - edits.length),
  };
}
