// This machine's signing key: the one secret skillopt keeps, in
// $SKILLOPT_HOME/keys/signing-key (mode 0600), never sent, logged, or shown.
// Every change a person makes to a skill is signed with it (core/signing.ts);
// the team registers its public half under the person's name on first use.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { keyFingerprint, newSecretKey, publicKeyOf, signChange, type Signer } from '../core/signing';
import { isErrno } from './fs';
import { skilloptHome } from './home';

export interface SigningKey extends Signer {
  /** Where it is kept: the key file, or the SSH key it adopted. */
  readonly source: string;
}

/** Why there is no usable key, in one line. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/** A person's key (their changes), or the central worker's service key (the optimizer's candidates, the canary's decisions). */
export type KeyRole = 'person' | 'service';

export function signingKeyPath(env: NodeJS.ProcessEnv = process.env, role: KeyRole = 'person'): string {
  return join(skilloptHome(env), 'keys', role === 'person' ? 'signing-key' : 'service-key');
}

/** The key file's text: the secret as hex, or the SSH key file it adopted (read each time, never copied). */
interface KeyFile {
  secretKey?: string;
  adopted?: string;
}

function keyOf(secretKey: Uint8Array, source: string): SigningKey {
  const publicKey = publicKeyOf(secretKey);
  return { publicKey, source, sign: (change, signer) => signChange(change, signer, secretKey) };
}

function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** This machine's key, or undefined when it has none. A file it cannot use is a one-line SigningKeyError. */
export async function readSigningKey(env: NodeJS.ProcessEnv = process.env, role: KeyRole = 'person'): Promise<SigningKey | undefined> {
  const path = signingKeyPath(env, role);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw new SigningKeyError(`cannot read the signing key ${path}: ${(err as Error).message}`);
  }
  let file: KeyFile;
  try {
    file = JSON.parse(text) as KeyFile;
  } catch {
    throw new SigningKeyError(`${path} is not a skillopt signing key; move it away and run \`skillopt keys init\``);
  }
  if (typeof file.secretKey === 'string' && /^[0-9a-f]{64}$/.test(file.secretKey)) return keyOf(hexBytes(file.secretKey), path);
  if (typeof file.adopted === 'string') return keyOf(await readOpenSshKey(file.adopted), file.adopted);
  throw new SigningKeyError(`${path} holds no ed25519 key; move it away and run \`skillopt keys init\``);
}

/** Writes `file` as the key file, refusing to replace one (a key is never overwritten by accident). */
async function writeKeyFile(env: NodeJS.ProcessEnv, file: KeyFile, role: KeyRole = 'person'): Promise<string> {
  const path = signingKeyPath(env, role);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new SigningKeyError(`this machine already has a signing key (${path}); replacing it is \`skillopt keys rotate\``);
    throw err;
  }
  try {
    await handle.writeFile(`${JSON.stringify(file)}\n`);
  } finally {
    await handle.close();
  }
  return path;
}

/** A new key for this machine (`skillopt keys init`). */
export async function createSigningKey(env: NodeJS.ProcessEnv = process.env, role: KeyRole = 'person'): Promise<SigningKey> {
  const secret = newSecretKey();
  const path = await writeKeyFile(env, { secretKey: Buffer.from(secret).toString('hex') }, role);
  return keyOf(secret, path);
}

/** Uses an existing unencrypted OpenSSH ed25519 key (`skillopt keys init --adopt <file>`); the key stays where it is. */
export async function adoptSshKey(sshKeyPath: string, env: NodeJS.ProcessEnv = process.env): Promise<SigningKey> {
  const secret = await readOpenSshKey(sshKeyPath);
  await writeKeyFile(env, { adopted: sshKeyPath });
  return keyOf(secret, sshKeyPath);
}

/**
 * This machine's key, created on first need: a person's first push or decision
 * needs no setup step. `onCreated` is told (the CLI says where it is and to back it up).
 */
export async function signingKeyFor(env: NodeJS.ProcessEnv = process.env, onCreated?: (key: SigningKey) => void, role: KeyRole = 'person'): Promise<SigningKey> {
  const existing = await readSigningKey(env, role);
  if (existing) return existing;
  try {
    const created = await createSigningKey(env, role);
    onCreated?.(created);
    return created;
  } catch (err) {
    // Another process created it at the same moment: use that one.
    const raced = err instanceof SigningKeyError ? await readSigningKey(env, role) : undefined;
    if (raced) return raced;
    throw err;
  }
}

/**
 * A new key for this machine, replacing its key: `register` tells the team,
 * signed by the old key, before the new key replaces the old one here (kept as
 * signing-key.old); a refusal leaves everything as it was.
 */
export async function rotateSigningKey(env: NodeJS.ProcessEnv, register: (next: Signer, old: SigningKey) => Promise<void>): Promise<SigningKey> {
  const old = await readSigningKey(env);
  if (!old) throw new SigningKeyError('this machine has no signing key to rotate; `skillopt keys init` creates one');
  const path = signingKeyPath(env);
  const secret = newSecretKey();
  const next = keyOf(secret, path);
  // Written first beside the old one: a key the team knows is never one this machine lost.
  const staged = `${path}.next`;
  await rm(staged, { force: true });
  const handle = await open(staged, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ secretKey: Buffer.from(secret).toString('hex') } satisfies KeyFile)}\n`);
  } finally {
    await handle.close();
  }
  try {
    await register(next, old);
  } catch (err) {
    await rm(staged, { force: true });
    throw err;
  }
  await rename(path, `${path}.old`);
  await rename(staged, path);
  return next;
}

/** SKILLOPT_ADMIN_KEY where the store is: the team admin's public key (hex, or an OpenSSH `ssh-ed25519 AAAA…` line), which may replace anyone's key. */
export function adminKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const text = env.SKILLOPT_ADMIN_KEY?.trim();
  if (!text) return undefined;
  const key = publicKeyFromText(text);
  if (!key) throw new SigningKeyError('SKILLOPT_ADMIN_KEY is not an ed25519 public key: give 64 hex digits (`skillopt keys show`) or an `ssh-ed25519 AAAA…` line');
  return key;
}

/** A public key as hex, from hex or an OpenSSH public key line; undefined when it is neither. */
export function publicKeyFromText(text: string): string | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return trimmed.toLowerCase();
  const ssh = /^ssh-ed25519\s+([A-Za-z0-9+/=]+)/.exec(trimmed);
  if (!ssh) return undefined;
  const blob = Buffer.from(ssh[1]!, 'base64');
  // string "ssh-ed25519", then string key (32 bytes).
  return blob.length === 51 && blob.readUInt32BE(0) === 11 && blob.readUInt32BE(15) === 32 ? blob.subarray(19).toString('hex') : undefined;
}

/** The line the CLI prints when a key was created on first need. */
export function createdKeyNotice(key: SigningKey): string {
  return `created this machine's signing key ${keyFingerprint(key.publicKey)} in ${key.source}; keep it (a new key needs \`skillopt keys rotate\` from the old one, or a team admin)`;
}

// ---- OpenSSH private keys (the "openssh-key-v1" format ssh-keygen writes) ----

/** Reads one length-prefixed field of an OpenSSH key blob. */
function sshFields(blob: Buffer) {
  let at = 0;
  return {
    bytes(n: number): Buffer {
      if (at + n > blob.length) throw new SigningKeyError('the SSH key is truncated');
      const out = blob.subarray(at, at + n);
      at += n;
      return out;
    },
    u32(): number {
      return this.bytes(4).readUInt32BE(0);
    },
    string(): Buffer {
      return this.bytes(this.u32());
    },
  };
}

/** The ed25519 secret (32-byte seed) of an unencrypted OpenSSH private key file. */
export async function readOpenSshKey(path: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SigningKeyError(`cannot read the SSH key ${path}: ${(err as Error).message}`);
  }
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!match) throw new SigningKeyError(`${path} is not an OpenSSH private key (ssh-keygen -t ed25519 writes one)`);
  const blob = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (!blob.subarray(0, magic.length).equals(magic)) throw new SigningKeyError(`${path} is not an OpenSSH private key`);
  const fields = sshFields(blob.subarray(magic.length));
  const cipher = fields.string().toString();
  fields.string(); // kdf name
  fields.string(); // kdf options
  if (cipher !== 'none') throw new SigningKeyError(`${path} is protected by a passphrase, which skillopt cannot use unattended; run \`skillopt keys init\` for a key of its own`);
  if (fields.u32() !== 1) throw new SigningKeyError(`${path} holds more than one key`);
  fields.string(); // public key blob
  const secret = sshFields(fields.string());
  if (secret.u32() !== secret.u32()) throw new SigningKeyError(`${path} is damaged (its check numbers differ)`);
  const type = secret.string().toString();
  if (type !== 'ssh-ed25519') throw new SigningKeyError(`${path} is a ${type} key; skillopt signs with ed25519 keys only`);
  const publicKey = secret.string();
  const pair = secret.string();
  if (pair.length !== 64 || !pair.subarray(32).equals(publicKey)) throw new SigningKeyError(`${path} is damaged (its public and secret halves differ)`);
  return new Uint8Array(pair.subarray(0, 32));
}
