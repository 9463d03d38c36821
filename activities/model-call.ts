// A model call inside an activity (judge, propose, the pre-publish check): it
// heartbeats while the agent CLI runs, so a dead worker is noticed at the
// heartbeat timeout, and passes the activity's cancellation to the backend,
// which kills the CLI process.
import { Context } from '@temporalio/activity';
import type { ModelCall, ModelRequest } from '../agents/types';

/** Model activities heartbeat this often while the agent CLI runs (the workflows' heartbeat timeout is 30 s). */
const MODEL_HEARTBEAT_MS = 5_000;

export async function callModel(model: ModelCall, request: Omit<ModelRequest, 'signal'>): Promise<string> {
  const context = Context.current();
  context.heartbeat();
  const beat = setInterval(() => context.heartbeat(), MODEL_HEARTBEAT_MS);
  try {
    return await model({ ...request, signal: context.cancellationSignal });
  } finally {
    clearInterval(beat);
  }
}
