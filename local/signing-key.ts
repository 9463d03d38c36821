// This machine's signing key: the one secret skillopt keeps, in
// $SKILLOPT_HOME/keys/signing-key (mode 0600), never sent, logged, or shown.
// Every change a person makes to a skill is signed with it (core/signing.ts);
// the team registers its public half under the person's name on first use.
import { mkdir, open, readFile } from 'node:fs/promises';
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
