// Signatures over every change to a skill: what exactly is signed for each
// kind of change, and the ed25519 signing and checking of it. Pure (noble's
// audited ed25519 and sha256 in plain JS, no Node): the lane's update
// validators check a signature in the workflow sandbox, before anything enters
// history, with the same code the store and every pulling machine use.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { OPTIMIZER_NAME } from './limits';
import type { PrecheckSetting, RolloutPolicy } from './rollout-types';
import type { TreeFile } from './skill-tree';

/** Who signs the optimizer's candidates and the canary's decisions: the central worker's service key. */
export const SERVICE_SIGNER = OPTIMIZER_NAME;

/** Written before every signed text, so a skillopt signature means nothing anywhere else (and nothing else's means anything here). */
const CONTEXT = 'skillopt signature v1\n';

/** A public key: 32 bytes as 64 lowercase hex digits. */
const PUBLIC_KEY = /^[0-9a-f]{64}$/;
const SIGNATURE = /^[0-9a-f]{128}$/;

/** How long a signed setting (rollout, owners, key) stays acceptable after it was signed, either way of the clock. */
export const SETTING_SIGNATURE_MAX_AGE_MS = 15 * 60_000;

/** The canary settings a rollout change names (null: the team's). */
export interface SignedCanary {
  percent?: number;
  minJudged?: number;
  maxHours?: number;
}

/**
 * Every change a person or the service signs. `ref` is `<name>--<author>`,
 * `tree` a version's tree hash (treeHash), `at` an ISO-8601 time for the
 * settings whose replay the store refuses by time.
 */
export type SignedChange =
  /** A person's push of `tree` over the skill's highest version `base` (0: a new skill): it becomes `base + 1`, or is refused. */
  | { kind: 'push'; ref: string; tree: string; base: number }
  /** The optimizer's candidate `tree` as `version`, derived from version `from` (service only). */
  | { kind: 'candidate'; ref: string; tree: string; version: number; from: number }
  /** Approve or reject one version: by an owner, or by the service for the canary's own decision. */
  | { kind: 'decide'; ref: string; version: number; tree: string; action: 'approve' | 'reject' }
  /** `precheck` present only when the change sets it (a change without it signs as before it existed). */
  | { kind: 'rollout'; ref: string; policy: RolloutPolicy; canary: SignedCanary | null; precheck?: PrecheckSetting; at: string }
  | { kind: 'owners'; ref: string; action: 'add' | 'remove'; user: string; at: string }
  /** `user`'s key from now on, signed by their previous key or the team's admin key. */
  | { kind: 'key'; user: string; key: string; at: string };

/** One signature: who signed, with which public key, and the signature itself (hex). */
export interface Signature {
  signer: string;
  key: string;
  sig: string;
}

/** What signs with a key it holds (a person's, or the service's); the secret stays inside. */
export interface Signer {
  readonly publicKey: string;
  sign(change: SignedChange, signer: string): Signature;
}

/** Keys in a fixed order at every depth, so signer and checker hash the same bytes. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The bytes a signature covers. */
export function signedBytes(change: SignedChange): Uint8Array {
  return utf8ToBytes(CONTEXT + canonicalJson(change));
}

/**
 * The hash a version's signature names: its SKILL.md (the author's frontmatter
 * and the body) and every other file's path, size, mode and content hash.
 * Two versions with the same tree hash install the same folder.
 */
export function treeHash(tree: { frontmatter: string; body: string; files: readonly TreeFile[] }): string {
  const files = [...tree.files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => ({ path: f.path, size: f.size, executable: f.executable, hash: f.hash }));
  return bytesToHex(sha256(utf8ToBytes(canonicalJson({ frontmatter: tree.frontmatter, body: tree.body, files }))));
}

export function publicKeyProblem(key: unknown): string | undefined {
  return typeof key === 'string' && PUBLIC_KEY.test(key) ? undefined : 'a public key must be 64 hex digits (an ed25519 key)';
}

/** A new secret key (32 random bytes from the platform's CSPRNG). */
export function newSecretKey(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}

export function publicKeyOf(secretKey: Uint8Array): string {
  return bytesToHex(ed25519.getPublicKey(secretKey));
}

/** `signer`'s signature of `change` with `secretKey`. */
export function signChange(change: SignedChange, signer: string, secretKey: Uint8Array): Signature {
  return { signer, key: publicKeyOf(secretKey), sig: bytesToHex(ed25519.sign(signedBytes(change), secretKey)) };
}

/** True when `signature` is a valid signature of `change` by its own key (who that key belongs to is the caller's question). */
export function signatureVerifies(change: SignedChange, signature: Signature): boolean {
  if (!PUBLIC_KEY.test(signature.key) || !SIGNATURE.test(signature.sig)) return false;
  try {
    return ed25519.verify(hexToBytes(signature.sig), signedBytes(change), hexToBytes(signature.key));
  } catch {
    return false;
  }
}

/** Why a value is not a well-formed Signature (shape only), or undefined. */
export function signatureShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'the change is not signed: run `skillopt keys init`, then try again';
  const s = value as Record<string, unknown>;
  if (typeof s.signer !== 'string' || s.signer === '') return "the signature names no signer";
  if (publicKeyProblem(s.key)) return "the signature's key is not an ed25519 public key";
  if (typeof s.sig !== 'string' || !SIGNATURE.test(s.sig)) return 'the signature is not 64 bytes of hex';
  return undefined;
}

/** A short name for a key, to show and compare by eye (never the key's secret). */
export function keyFingerprint(key: string): string {
  return `ed25519:${bytesToHex(sha256(hexToBytes(key))).slice(0, 16)}`;
}

/** Why a signed setting's time is not acceptable now, or undefined. */
export function signedAtProblem(at: string, nowMs: number): string | undefined {
  const t = Date.parse(at);
  if (!Number.isFinite(t)) return 'the signed change has no valid time';
  if (Math.abs(nowMs - t) > SETTING_SIGNATURE_MAX_AGE_MS) return `the change was signed at ${at}, more than ${SETTING_SIGNATURE_MAX_AGE_MS / 60_000} minutes from now: check this machine's clock and sign it again`;
  return undefined;
}
