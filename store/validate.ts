// Input checks done before anything is written. Each failure is a one-line
// StoreValidationError naming the field, so a caller can report it as is.
import { signatureShapeProblem, type Signature } from '../core/signing';
import type { VersionSignature } from '../core/trust';
import { InvalidSkillRefError, formatSkillRef, validateSkillRef, type SkillRef } from '../core/skill-ref';
import { StoreValidationError } from './types';

const MAX_ID_CHARS = 512;
/** Who decided a state change or changed rollout settings: a user name, or `skillopt`. */
export const MAX_DECIDER_CHARS = 256;
// Postgres text cannot hold U+0000; a lone surrogate has no UTF-8 form and would be
// stored as U+FFFD. Rejecting both keeps "what was written is what is read" on both engines.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function checkRef(ref: SkillRef): SkillRef {
  if (typeof ref !== 'object' || ref === null) throw new StoreValidationError('skill ref is missing');
  try {
    validateSkillRef(ref);
  } catch (err) {
    if (err instanceof InvalidSkillRefError) throw new StoreValidationError(err.message, { cause: err });
    throw err;
  }
  return { name: ref.name, author: ref.author };
}

export function refLabel(ref: SkillRef): string {
  return formatSkillRef(ref);
}

export interface TextRules {
  /** Reject the empty string. */
  required?: boolean;
  maxChars?: number;
  maxBytes?: number;
  /** Name of the limit, shown in the message. */
  limitName?: string;
}

export function checkText(field: string, value: unknown, rules: TextRules = {}): string {
  if (typeof value !== 'string') throw new StoreValidationError(`${field} must be a string`);
  if (rules.required && value.length === 0) throw new StoreValidationError(`${field} is empty`);
  if (UNSTORABLE.test(value)) {
    throw new StoreValidationError(`${field} contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored`);
  }
  const limit = rules.limitName ? ` (${rules.limitName})` : '';
  if (rules.maxBytes !== undefined) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > rules.maxBytes) {
      throw new StoreValidationError(`${field} is ${bytes} bytes of UTF-8; the limit is ${rules.maxBytes}${limit}`);
    }
  }
  if (rules.maxChars !== undefined) {
    const chars = [...value].length;
    if (chars > rules.maxChars) {
      throw new StoreValidationError(`${field} is ${chars} characters; the limit is ${rules.maxChars}${limit}`);
    }
  }
  return value;
}

/** An identifier-like string: session ids, event ids, keys, fingerprints. */
export function checkId(field: string, value: unknown): string {
  return checkText(field, value, { required: true, maxChars: MAX_ID_CHARS });
}

export function checkOptionalId(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : checkId(field, value);
}

export function checkInteger(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new StoreValidationError(`${field} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

export function checkStringList(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new StoreValidationError(`${field} must be a list of strings`);
  return value.map((item, index) => checkText(`${field}[${index}]`, item));
}

/** JSON text of a list; rejects what JSON cannot represent faithfully. */
export function checkJsonList(field: string, value: unknown): string {
  if (!Array.isArray(value)) throw new StoreValidationError(`${field} must be a list`);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new StoreValidationError(`${field} cannot be stored as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (json === undefined) throw new StoreValidationError(`${field} cannot be stored as JSON`);
  return json;
}

/** A caller-supplied timestamp normalized to ISO-8601 UTC, or now. */
export function checkTimestamp(field: string, value: unknown): string {
  if (value === undefined || value === null) return new Date().toISOString();
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new StoreValidationError(`${field} must be an ISO-8601 timestamp, got ${JSON.stringify(value)}`);
  }
  return date.toISOString();
}

/** A signature's shape (whether it verifies is the caller's check: team/signed-changes.ts). */
export function checkSignature(field: string, value: unknown): Signature {
  const problem = signatureShapeProblem(value);
  if (problem) throw new StoreValidationError(`${field}: ${problem}`);
  const { signer, key, sig } = value as Signature;
  return { signer: checkText(`${field}.signer`, signer, { required: true, maxChars: MAX_DECIDER_CHARS }), key, sig };
}

export function checkVersionSignature(value: unknown): VersionSignature {
  const signature = checkSignature('signature', value);
  const v = value as Record<string, unknown>;
  if (v.kind === 'push') return { ...signature, kind: 'push', base: checkInteger('signature.base', v.base, 0) };
  if (v.kind === 'candidate') return { ...signature, kind: 'candidate', from: checkInteger('signature.from', v.from, 1) };
  throw new StoreValidationError('signature.kind must be "push" or "candidate"');
}
