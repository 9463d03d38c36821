// The daily cap on this machine's model calls (judge and propose together),
// counted in SKILLOPT_HOME/model-calls/<UTC day>.count. Every worker process on
// the machine counts in the same file: the read-check-write runs under the
// project's file lock, so concurrent workers never over-spend or lose a count.
// A call is counted when it is made, before the model answers: a crash
// mid-call cannot hand out a free one.
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { capReachedReason, parseDailyCap, utcDay, type ModelCallBudget, type ModelCallGrant } from '../core/model-calls';
import { withFileLock } from './process-lock';
import { atomicWriteFile, readTextIfExists } from './fs';
import { skilloptHome } from './home';

const FOLDER = 'model-calls';
/** Day files older than this many days are removed when a new day starts. */
const KEEP_DAYS = 14;
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.count$/;

/** SKILLOPT_MAX_MODEL_CALLS_PER_DAY is not a count: the message is one line that says what to set. */
export class ModelCallsConfigError extends Error {
  override name = 'ModelCallsConfigError';
}

/** The cap this machine's environment sets (default 100; 0 means no model calls); a bad value throws ModelCallsConfigError. */
export function maxModelCallsPerDay(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = parseDailyCap(env.SKILLOPT_MAX_MODEL_CALLS_PER_DAY);
  if ('error' in parsed) throw new ModelCallsConfigError(parsed.error);
  return parsed.cap;
}

export interface DailyModelCallsOptions {
  /** SKILLOPT_HOME of this machine. */
  home: string;
  cap: number;
  /** The clock (tests move it across UTC midnight). */
  now?: () => Date;
}

function countFile(home: string, day: string): string {
  return join(home, FOLDER, `${day}.count`);
}

/** The count in a day file: 0 when there is none; undefined when its text is not a count (then nothing more is granted). */
function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return 0;
  return /^\d+\n?$/.test(text) ? Number(text.trim()) : undefined;
}

// Callers in one process queue here, so the file lock is contended only between processes.
const queues = new Map<string, Promise<unknown>>();
function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const result = (queues.get(key) ?? Promise.resolve()).then(work);
  const settled = result.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return result;
}

async function removeOldDays(home: string, today: string): Promise<void> {
  const oldest = utcDay(new Date(Date.parse(`${today}T00:00:00Z`) - KEEP_DAYS * 86_400_000));
  const names = await readdir(join(home, FOLDER)).catch(() => [] as string[]);
  for (const name of names) {
    const day = DAY_FILE.exec(name)?.[1];
    if (day !== undefined && day < oldest) await unlink(join(home, FOLDER, name)).catch(() => undefined);
  }
}

/** This machine's budget of model calls for the day, counted in SKILLOPT_HOME. */
export function dailyModelCalls(options: DailyModelCallsOptions): ModelCallBudget & { readonly cap: number } {
  const { home, cap } = options;
  const now = options.now ?? (() => new Date());
  return {
    cap,
    take(): Promise<ModelCallGrant> {
      const day = utcDay(now());
      const file = countFile(home, day);
      return oneAtATime(file, () =>
        withFileLock(`${file}.lock`, async (): Promise<ModelCallGrant> => {
          const text = await readTextIfExists(file);
          const used = parseCount(text);
          if (used === undefined) {
            return { ok: false, used: cap, cap, reason: `model call count ${file} is not a number; fix or delete it (it counts today's calls on this machine)` };
          }
          if (used >= cap) return { ok: false, used, cap, reason: capReachedReason(cap, day) };
          await atomicWriteFile(file, `${used + 1}\n`, 0o600);
          if (text === undefined) await removeOldDays(home, day);
          return { ok: true, used: used + 1, cap };
        }),
      );
    },
  };
}

/** The budget the environment of this machine sets: SKILLOPT_HOME and SKILLOPT_MAX_MODEL_CALLS_PER_DAY (a bad value throws). */
export function modelCallsFromEnv(env: NodeJS.ProcessEnv = process.env): ModelCallBudget & { readonly cap: number } {
  return dailyModelCalls({ home: skilloptHome(env), cap: maxModelCallsPerDay(env) });
}

export interface ModelCallsUsed {
  /** The UTC day counted, "YYYY-MM-DD". */
  day: string;
  used: number;
  cap: number;
}

/** For `skillopt doctor`: the model calls this machine made today and its cap (a bad SKILLOPT_MAX_MODEL_CALLS_PER_DAY throws). */
export async function modelCallsToday(env: NodeJS.ProcessEnv = process.env, at: Date = new Date()): Promise<ModelCallsUsed> {
  const cap = maxModelCallsPerDay(env);
  const day = utcDay(at);
  // Writes are atomic renames: reading without the lock sees a whole count.
  const used = parseCount(await readTextIfExists(countFile(skilloptHome(env), day))) ?? cap;
  return { day, used, cap };
}
