// One spooled event: its shape, and reading it back. The flusher checks every
// file against the message contract (core/messages.ts) before delivering it,
// so a file that could never be delivered is dead-lettered with its reason
// instead of being retried forever. The hooks import only the types here:
// the checks use valibot, which no hook loads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import {
  InvokedSignalSchema,
  ReactionSignalSchema,
  SessionEndedSignalSchema,
  SupersededSignalSchema,
  messageProblem,
  type InvokedSignal,
  type ReactionSignal,
  type SessionEndedSignal,
  type SupersededSignal,
} from '../../core/messages';
import { MAX_ROUTED_SCHEDULE_TO_START_MS } from '../../core/limits';
import { formatSkillRef, tryParseSkillRef, type SkillRef } from '../../core/skill-ref';
import { outboxDir } from './files';

export interface OutboxWorkflowConfig {
  judgeWindow: number;
  idleTimeoutMs?: number;
  /** SKILLOPT_OFFLINE_JUDGE_HOURS: how long a judgment waits for this machine's worker. */
  routedScheduleToStartMs?: number;
}

/**
 * One spooled signal for an invocation workflow. `invoked` starts the workflow
 * (signal-with-start, with `config`); the others only signal it, and are
 * dropped once it has closed.
 */
export type OutboxEvent = {
  v: 2;
  createdAt: string;
  ref: SkillRef;
  /** The invocation workflow: "invocation:<ref>:<session id>:<tool_use id>". */
  workflowId: string;
} & (
  | { signal: 'invoked'; payload: InvokedSignal; config: OutboxWorkflowConfig }
  | { signal: 'reaction'; payload: ReactionSignal }
  | { signal: 'superseded'; payload: SupersededSignal }
  | { signal: 'sessionEnded'; payload: SessionEndedSignal }
);

const OutboxEventSchema = v.intersect([
  v.object({
    v: v.literal(2),
    createdAt: v.string(),
    ref: v.object({ name: v.string(), author: v.string() }),
    workflowId: v.pipe(v.string(), v.startsWith('invocation:')),
  }),
  v.variant('signal', [
    v.object({
      signal: v.literal('invoked'),
      payload: InvokedSignalSchema,
      config: v.object({
        judgeWindow: v.pipe(v.number(), v.integer(), v.minValue(1)),
        idleTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(1))),
        routedScheduleToStartMs: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(MAX_ROUTED_SCHEDULE_TO_START_MS))),
      }),
    }),
    v.object({ signal: v.literal('reaction'), payload: ReactionSignalSchema }),
    v.object({ signal: v.literal('superseded'), payload: SupersededSignalSchema }),
    v.object({ signal: v.literal('sessionEnded'), payload: SessionEndedSignalSchema }),
  ]),
]);

/** The event if it can be delivered, else why not (one line). */
export function validateOutboxEvent(data: unknown): OutboxEvent | string {
  const problem = messageProblem(OutboxEventSchema, data);
  if (problem) return `not a deliverable outbox event (v2): ${problem}`;
  const event = data as OutboxEvent;
  const ref = tryParseSkillRef(`${event.ref.name}--${event.ref.author}`);
  if (!ref || ref.name !== event.ref.name || ref.author !== event.ref.author) return `invalid skill ref ${event.ref.name}--${event.ref.author}`;
  if (!event.workflowId.startsWith(`invocation:${formatSkillRef(ref)}:`)) return `workflow id ${event.workflowId} is not an invocation of ${formatSkillRef(ref)}`;
  return { ...event, ref };
}

export type ReadOutboxResult = { ok: true; event: OutboxEvent } | { ok: false; reason: string; gone?: boolean };

export function readOutboxEvent(home: string, name: string): ReadOutboxResult {
  let text: string;
  try {
    text = readFileSync(join(outboxDir(home), name), 'utf8');
  } catch (err) {
    // Delivered and deleted by another flusher in the meantime.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: 'gone', gone: true };
    return { ok: false, reason: (err as Error).message };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const checked = validateOutboxEvent(data);
  return typeof checked === 'string' ? { ok: false, reason: checked } : { ok: true, event: checked };
}
