// What the judge and the proposer need from a model: text in, text out.
// Implementations run with tools disabled: prompts carry untrusted transcript text.

export type ModelRole = 'judge' | 'proposer';

export interface ModelRequest {
  role: ModelRole;
  system: string;
  user: string;
  /** Aborts the call (e.g. an activity's cancellation signal): the child process is killed, the request dropped. */
  signal?: AbortSignal;
}

export type ModelCall = (request: ModelRequest) => Promise<string>;

/** A model backend failed (spawn error, timeout, non-zero exit, empty output). Retryable. */
export class ModelCallError extends Error {
  override name = 'ModelCallError';
}

/** The backend is misconfigured (unknown backend, missing base URL, bad timeout). Retrying cannot help. */
export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}
