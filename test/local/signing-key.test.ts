// This machine's signing key: created once (mode 0600, never replaced by
// accident), or an existing OpenSSH ed25519 key adopted where it is.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publicKeyOf, signatureVerifies, type SignedChange } from '../../core/signing';
import { adoptSshKey, createSigningKey, readOpenSshKey, readSigningKey, signingKeyPath, SigningKeyError } from '../../local/signing-key';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skillopt-key-'));
  env = { SKILLOPT_HOME: join(dir, 'home'), HOME: dir };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sshKeygen(type: string, passphrase: string): string {
  const path = join(dir, `id_${type}_${passphrase ? 'locked' : 'open'}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'test', '-f', path], { stdio: 'ignore' });
  return path;
}

/** The 32-byte key in an ssh-ed25519 public key line, as hex. */
function sshPublicHex(line: string): string {
  const blob = Buffer.from(line.split(' ')[1]!, 'base64');
  const typeLength = blob.readUInt32BE(0);
  return blob.subarray(4 + typeLength + 4).toString('hex');
}

const change: SignedChange = { kind: 'push', ref: 'x--alice', tree: 'f'.repeat(64), base: 0 };

describe('readOpenSshKey', () => {
  it('reads the secret of a key ssh-keygen made without a passphrase: its public half is the .pub one', async () => {
    const path = sshKeygen('ed25519', '');
    const secret = await readOpenSshKey(path);
    expect(publicKeyOf(secret)).toBe(sshPublicHex(await readFile(`${path}.pub`, 'utf8')));
  });

  it('refuses a passphrase-protected key in one line', async () => {
    const path = sshKeygen('ed25519', 'hunter2');
    const error = await readOpenSshKey(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningKeyError);
    expect((error as Error).message).toMatch(/^[^\n]*is protected by a passphrase, which skillopt cannot use unattended; run `skillopt keys init` for a key of its own$/);
  });

  it('refuses a key of another type, and a file that is no key', async () => {
    await expect(readOpenSshKey(sshKeygen('ecdsa', ''))).rejects.toThrow(/is a ecdsa-sha2-nistp256 key; skillopt signs with ed25519 keys only/);
    await expect(readOpenSshKey(join(dir, 'none'))).rejects.toThrow(/cannot read the SSH key/);
  });
});

describe('the signing key', () => {
  it('is created once, mode 0600, and signs what verifies with its public key', async () => {
    expect(await readSigningKey(env)).toBeUndefined();
    const key = await createSigningKey(env);
    expect((await stat(signingKeyPath(env))).mode & 0o777).toBe(0o600);
    expect((await readSigningKey(env))?.publicKey).toBe(key.publicKey);
    expect(signatureVerifies(change, key.sign(change, 'alice'))).toBe(true);
    await expect(createSigningKey(env)).rejects.toThrow(/already has a signing key/);
  });

  it('adopts an SSH key where it is, without copying its secret', async () => {
    const path = sshKeygen('ed25519', '');
    const key = await adoptSshKey(path, env);
    expect(key.publicKey).toBe(sshPublicHex(await readFile(`${path}.pub`, 'utf8')));
    const file = await readFile(signingKeyPath(env), 'utf8');
    expect(JSON.parse(file)).toEqual({ adopted: path });
    expect((await readSigningKey(env))?.publicKey).toBe(key.publicKey);
  });
});
