// Small helpers shared by the model backends: reading settings from the
// environment and keeping error messages to one short line.
import { ModelConfigError } from './types';

/** Default budget for one model call (seed: 120 s). */
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;

/** An environment variable's value, with blank treated as unset (compose files pass `VAR=` for "not given"). */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A positive timeout in milliseconds: an explicit option wins, then SKILLOPT_MODEL_TIMEOUT_MS, then the default. */
export function resolveTimeoutMs(explicit: number | undefined, env: NodeJS.ProcessEnv): number {
  if (explicit !== undefined) {
    if (!Number.isFinite(explicit) || explicit <= 0) {
      throw new ModelConfigError(`model timeout must be a positive number of milliseconds, got ${explicit}`);
    }
    return explicit;
  }
  const raw = envValue(env, 'SKILLOPT_MODEL_TIMEOUT_MS');
  if (raw === undefined) return DEFAULT_MODEL_TIMEOUT_MS;
  const parsed = Number(raw);
  if (!/^\d+$/.test(raw) || parsed <= 0) {
    throw new ModelConfigError(`SKILLOPT_MODEL_TIMEOUT_MS=${JSON.stringify(raw)} is not a positive whole number of milliseconds`);
  }
  return parsed;
}

/** "120s", "0.5s": how a timeout reads in an error message. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** Collapse whitespace and cut, so any text can go into a one-line error message. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
