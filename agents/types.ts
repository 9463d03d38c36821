// What the judge and the proposer need from a model: text in, text out.
// Implementations run with tools disabled: prompts carry untrusted transcript text.

export type ModelRole = 'judge' | 'proposer';

export interface ModelRequest {
  role: ModelRole;
  system: string;
  user: string;
}

export type ModelCall = (request: ModelRequest) => Promise<string>;

/** A model backend failed (spawn error, timeout, non-zero exit, empty output). Retryable. */
export class ModelCallError extends Error {
  override name = 'ModelCallError';
}
