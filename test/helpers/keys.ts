// Signing keys for tests: a person's or the service's, held in memory (as a
// machine's key file would hold it), signing with the same code as skillopt.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { newSecretKey, publicKeyOf, signChange, type Signer } from '../../core/signing';
import { signingKeyPath } from '../../local/signing-key';

/** A key in memory: core/signing's Signer, and its secret for fixtures that sign by hand. */
export type TestKey = Signer & { readonly secret: Uint8Array };

export function testKey(): TestKey {
  const secret = newSecretKey();
  return { secret, publicKey: publicKeyOf(secret), sign: (change, signer) => signChange(change, signer, secret) };
}

const keyFiles = new Map<string, string>();

/**
 * Gives a sandbox machine `user`'s key file: the same key for the same user
 * in every sandbox of this test file, as a person carries one key (a second
 * machine with a key of its own would be refused by the team, rightly).
 */
export async function installUserKey(env: NodeJS.ProcessEnv, user: string): Promise<void> {
  let text = keyFiles.get(user);
  if (text === undefined) {
    text = `${JSON.stringify({ secretKey: Buffer.from(newSecretKey()).toString('hex') })}\n`;
    keyFiles.set(user, text);
  }
  const path = signingKeyPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, text, { mode: 0o600 });
}
