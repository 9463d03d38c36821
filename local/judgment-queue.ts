// Which task queue this machine's judgments go to, and so which queue its
// flusher serves, and how long they wait for this machine. One rule for the
// arming hook and the flusher:
//
//   SKILLOPT_ACTIVITY_QUEUE set  that queue (an explicit routing; tests, or a
//                                machine that hands judging to another worker)
//   teammate mode                this machine's own queue (local/mode.ts): the
//                                transcript is here, so judge and propose run here
//   embedded, central            none: the shared worker serves everything
//
// Only Node built-ins (local/mode.ts): the arming hook calls this.
import { MAX_ROUTED_SCHEDULE_TO_START_MS } from '../core/limits';
import { machineMode, machineQueue } from './mode';

/**
 * SKILLOPT_OFFLINE_JUDGE_HOURS, when given: how long this machine's judgments
 * wait for it to come back (the workflow's default is 24 h), at least a second,
 * at most the workflow's bound.
 */
export function offlineJudgeMs(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.SKILLOPT_OFFLINE_JUDGE_HOURS;
  if (value === undefined || value.trim() === '') return undefined;
  const hours = Number(value);
  if (!Number.isFinite(hours) || hours <= 0) return undefined;
  return Math.min(MAX_ROUTED_SCHEDULE_TO_START_MS, Math.max(1_000, Math.round(hours * 3_600_000)));
}

export function judgmentQueue(home: string, env: NodeJS.ProcessEnv, override: string | undefined): string | undefined {
  if (override) return override;
  return machineMode(env).mode === 'teammate' ? machineQueue(home, env) : undefined;
}

/** The queue this machine's flusher serves with its on-demand worker, or undefined when it serves none. */
export function servedQueue(home: string, env: NodeJS.ProcessEnv, override: string | undefined): string | undefined {
  // One read of the machine id: an override is served only when it names this machine's own queue.
  if (override) return override === machineQueue(home, env) ? override : undefined;
  return judgmentQueue(home, env, undefined);
}
