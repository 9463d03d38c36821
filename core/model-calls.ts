// The daily cap on model calls per machine: the contract between the activities
// (which ask before every judge or propose call) and the counter on disk
// (local/model-calls.ts, one file per UTC day under SKILLOPT_HOME). Pure: the
// clock is passed in.

/** Model calls one machine makes per UTC day unless SKILLOPT_MAX_MODEL_CALLS_PER_DAY says otherwise. */
export const DEFAULT_MAX_MODEL_CALLS_PER_DAY = 100;

/** The answer to "may this machine make one more model call now?"; a call granted is already counted. */
export type ModelCallGrant = { ok: true; used: number; cap: number } | { ok: false; used: number; cap: number; reason: string };

/** Counts this machine's model calls against its daily cap. */
export interface ModelCallBudget {
  /** Counts one call now (before the model answers) when today's cap allows it; otherwise refuses, with the reason. */
  take(): Promise<ModelCallGrant>;
}

/** The UTC day a moment belongs to, "YYYY-MM-DD": the counter starts again at 0 at midnight UTC. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Why a call was refused: one line, the cap and what to do. */
export function capReachedReason(cap: number, day: string): string {
  return `daily cap of ${cap} model calls reached on this machine (UTC day ${day}); it resets at midnight UTC, or raise SKILLOPT_MAX_MODEL_CALLS_PER_DAY`;
}

/** SKILLOPT_MAX_MODEL_CALLS_PER_DAY: unset or blank → the default; a whole number ≥ 0 → that (0: no model calls); else an error line. */
export function parseDailyCap(raw: string | undefined): { cap: number } | { error: string } {
  const text = raw?.trim() ?? '';
  if (text === '') return { cap: DEFAULT_MAX_MODEL_CALLS_PER_DAY };
  if (!/^\d{1,9}$/.test(text)) {
    return { error: `SKILLOPT_MAX_MODEL_CALLS_PER_DAY must be a whole number of model calls per day, 0 or more (got ${JSON.stringify(raw)}); unset it for the default of ${DEFAULT_MAX_MODEL_CALLS_PER_DAY}` };
  }
  return { cap: Number(text) };
}
