// Signing keys for tests: a person's or the service's, held in memory (as a
// machine's key file would hold it), signing with the same code as skillopt.
import { newSecretKey, publicKeyOf, signChange, type Signature, type SignedChange } from '../../core/signing';

export interface TestKey {
  readonly publicKey: string;
  sign(change: SignedChange, signer: string): Signature;
}

export function testKey(): TestKey {
  const secret = newSecretKey();
  return { publicKey: publicKeyOf(secret), sign: (change, signer) => signChange(change, signer, secret) };
}
