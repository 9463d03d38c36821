// What a skillopt worker catches up on once it polls, the same for `skillopt up`
// and the production worker: hook events spooled under its home while nothing
// ran are delivered, and the lanes of skills with an open candidate (a
// `push --canary` written straight to the store while no worker ran) are told,
// so their trials start.
import type { Client } from '@temporalio/client';
import { tellLanesOfOpenCandidates } from '../team/lanes';
import { drainOutbox } from './outbox-delivery';
import type { Store } from '../store/types';

export interface CatchUpOptions {
  client: Client;
  store: Pick<Store, 'listCurrent'>;
  /** Whose outbox: the worker's SKILLOPT_HOME. */
  home: string;
  /** The queue this worker serves: where the delivered events' workflows and the lanes run. */
  taskQueue: string;
  /** Where to say what was done (nothing is said when there was nothing to do). */
  out: (line: string) => void;
}

export async function catchUpAtStart(options: CatchUpOptions): Promise<void> {
  const drained = await drainOutbox(options.client, options.home, { taskQueue: options.taskQueue });
  if (drained.delivered > 0) options.out(`delivered ${drained.delivered} hook event(s) spooled while skillopt was down`);
  const told = await tellLanesOfOpenCandidates(options.client, options.taskQueue, options.store);
  if (told > 0) options.out(`${told} skill(s) with a candidate on trial: their lanes run`);
}
