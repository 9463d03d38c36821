// What a hook run needs from its environment, read once. Only Node built-ins:
// this module is on every hook's path.
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_JUDGE_WINDOW } from '../core/limits';
import { skilloptHome, userHome } from '../local/home';
import { offlineJudgeMs } from '../local/judgment-queue';

/** SessionStart's auto-pull budget (the seed's 5 s). */
export const DEFAULT_AUTOPULL_TIMEOUT_MS = 5_000;

export interface HookSettings {
  /** SKILLOPT_HOME, default <HOME>/.skillopt. */
  home: string;
  /** The user's home: ~/.claude lives here. */
  userHome: string;
  disabled: boolean;
  /** Set by skillopt's own judge/proposer `claude -p` runs: every hook does nothing there. */
  internal: boolean;
  debug: boolean;
  judgeWindow: number;
  /** Set only when SKILLOPT_IDLE_TIMEOUT_MS is given; then the workflow is started with it too. */
  idleTimeoutOverrideMs?: number;
  idleTimeoutMs: number;
  /**
   * SKILLOPT_OFFLINE_JUDGE_HOURS, when given: how long this machine's judgments
   * wait for it to come back (the workflow's default is 24 h). Carried in the
   * invocation's config, so each invocation keeps the bound it was armed with.
   */
  offlineJudgeMs?: number;
  /** SKILLOPT_ACTIVITY_QUEUE: where judgments go instead of this machine's own queue (see local/judgment-queue.ts). */
  activityQueue?: string;
  attribution: boolean;
  autopull: boolean;
  autopullTimeoutMs: number;
  /** SKILLOPT_SESSION_START_WAIT=1: pull and record inside the hook instead of in a detached process. */
  sessionStartWait: boolean;
  /** SKILLOPT_FLUSHER=0: only spool; something else (`skillopt up`) drains the outbox. */
  spawnFlusher: boolean;
  /**
   * SKILLOPT_BACKGROUND_PRIORITY: the priority the processes a hook starts (flusher, SessionStart job) run at;
   * `low` (default: they never slow the agent's answer) or `normal` (to compare).
   */
  backgroundPriority: 'low' | 'normal';
}

function positiveNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function readHookSettings(env: NodeJS.ProcessEnv = process.env): HookSettings {
  const window = positiveNumber(env.SKILLOPT_JUDGE_WINDOW);
  const idleOverride = positiveNumber(env.SKILLOPT_IDLE_TIMEOUT_MS);
  const offlineMs = offlineJudgeMs(env);
  return {
    home: skilloptHome(env),
    userHome: userHome(env),
    disabled: env.SKILLOPT_DISABLED === '1',
    internal: env.SKILLOPT_INTERNAL === '1',
    debug: env.SKILLOPT_DEBUG === '1',
    judgeWindow: window === undefined ? DEFAULT_JUDGE_WINDOW : Math.max(1, Math.floor(window)),
    ...(idleOverride === undefined ? {} : { idleTimeoutOverrideMs: Math.floor(idleOverride) }),
    idleTimeoutMs: idleOverride === undefined ? DEFAULT_IDLE_TIMEOUT_MS : Math.floor(idleOverride),
    ...(offlineMs === undefined ? {} : { offlineJudgeMs: offlineMs }),
    ...(env.SKILLOPT_ACTIVITY_QUEUE?.trim() ? { activityQueue: env.SKILLOPT_ACTIVITY_QUEUE.trim() } : {}),
    attribution: env.SKILLOPT_ATTRIBUTION !== '0',
    autopull: env.SKILLOPT_AUTOPULL !== '0',
    autopullTimeoutMs: positiveNumber(env.SKILLOPT_AUTOPULL_TIMEOUT_MS) ?? DEFAULT_AUTOPULL_TIMEOUT_MS,
    sessionStartWait: env.SKILLOPT_SESSION_START_WAIT === '1',
    spawnFlusher: env.SKILLOPT_FLUSHER !== '0',
    backgroundPriority: env.SKILLOPT_BACKGROUND_PRIORITY === 'normal' ? 'normal' : 'low',
  };
}
