// Which task queue this machine's judgments go to, and so which queue its
// flusher serves. One rule for the arming hook and the flusher:
//
//   SKILLOPT_ACTIVITY_QUEUE set  that queue (an explicit routing; tests, or a
//                                machine that hands judging to another worker)
//   teammate mode                this machine's own queue (local/mode.ts): the
//                                transcript is here, so judge and propose run here
//   embedded, central            none: the shared worker serves everything
//
// Only Node built-ins (local/mode.ts): the arming hook calls this.
import { machineMode, machineQueue } from '../local/mode';

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
