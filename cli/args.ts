// Argument parsers for commander: a bad value becomes commander's usage error,
// which runCli turns into one line.
import { InvalidArgumentError } from 'commander';
import { parseRolloutPolicy } from '../core/rollout-rules';
import { PRECHECK_SETTINGS, type PrecheckSetting, type RolloutPolicy } from '../core/rollout-types';
import { AGENT_NAMES, PULL_TARGETS, SHARED_SKILLS, isAgentName, isPullTarget, type AgentName, type PullTarget } from '../agents/registry';

function parsePositiveInt(value: string, max: number): number | undefined {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= max ? n : undefined;
}

/** "3" or "v3". */
export function parseVersionNumber(value: string): number {
  const n = parsePositiveInt(value.replace(/^v/i, ''), Number.MAX_SAFE_INTEGER);
  if (n === undefined) throw new InvalidArgumentError('a version is a whole number from 1 up (as in `skillopt skills history`)');
  return n;
}

export function parsePort(value: string): number {
  const n = parsePositiveInt(value, 65535);
  if (n === undefined) throw new InvalidArgumentError('a port is a whole number from 1 to 65535');
  return n;
}

/** canary, approval, canary+approval or direct. */
export function parseRolloutPolicyFlag(value: string): RolloutPolicy {
  const policy = parseRolloutPolicy(value);
  if (typeof policy !== 'string') throw new InvalidArgumentError(policy.error);
  return policy;
}

/** A skill's own pre-publish check: on or off. */
export function parsePrecheckFlag(value: string): PrecheckSetting {
  const setting = PRECHECK_SETTINGS.find((s) => s === value.trim().toLowerCase());
  if (!setting) throw new InvalidArgumentError('use on or off');
  return setting;
}

/** A share of users: a whole number from 1 to 100. */
export function parsePercent(value: string): number {
  const n = parsePositiveInt(value, 100);
  if (n === undefined) throw new InvalidArgumentError('a percent is a whole number from 1 to 100');
  return n;
}

/** A whole number from 1 up. */
export function parseCount(value: string): number {
  const n = parsePositiveInt(value, 1_000_000);
  if (n === undefined) throw new InvalidArgumentError('a count is a whole number from 1 up');
  return n;
}

/** Hours, more than 0 and at most a year (fractions allowed: 0.5 is half an hour). */
export function parseHours(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(n > 0 && n <= 8784)) throw new InvalidArgumentError('hours are a number above 0 and at most 8784 (a year)');
  return n;
}

const SINCE_UNIT_MS: Record<string, number> = { h: 60 * 60 * 1000, d: 24 * 60 * 60 * 1000, w: 7 * 24 * 60 * 60 * 1000 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * `--since`: an age (`30d`, `12h`, `2w`: that long before `now`) or an ISO
 * date or timestamp (`2025-03-01`, `2025-03-01T09:00:00Z`), not in the future;
 * returned as ISO-8601 UTC.
 */
export function parseSince(value: string, now: number = Date.now()): string {
  const text = value.trim();
  const age = /^(\d{1,6})([hdw])$/i.exec(text);
  if (age) {
    const amount = Number(age[1]);
    if (amount >= 1) return new Date(now - amount * SINCE_UNIT_MS[age[2]!.toLowerCase()]!).toISOString();
  } else if (ISO_DATE.test(text)) {
    const at = Date.parse(text);
    // Date.parse takes 2025-02-30 as March 2nd: a date must read back as itself.
    const real = !Number.isNaN(at) && (text.length > 10 || new Date(at).toISOString().slice(0, 10) === text);
    if (real && at <= now) return new Date(at).toISOString();
  }
  throw new InvalidArgumentError('--since takes an age like 30d, 12h or 2w, or a past ISO date like 2025-03-01');
}

/**
 * `pull --agent`: one agent's folder, the agents' shared folder, or `all`:
 * Claude Code's and the shared one, which every other agent reads (each agent
 * gets every skill once; the same skill in two folders an agent reads would be
 * listed twice).
 */
export function parsePullTargets(value: string): PullTarget[] {
  if (value === 'all') return ['claude', SHARED_SKILLS];
  if (isPullTarget(value)) return [value];
  throw new InvalidArgumentError(`a skills folder is ${PULL_TARGETS.map((a) => `"${a}"`).join(', ')} or "all"`);
}

/** `hooks --agent`: one agent, or `all` of them. */
export function parseAgents(value: string): AgentName[] {
  if (value === 'all') return [...AGENT_NAMES];
  if (isAgentName(value)) return [value];
  throw new InvalidArgumentError(`an agent is ${AGENT_NAMES.map((a) => `"${a}"`).join(', ')} or "all"`);
}
