// The central worker's service key: it signs the optimizer's candidates and the
// canary's decisions, so pulling machines can tell them from rows written
// straight into the store. Created at the first start in $SKILLOPT_HOME/keys/
// service-key and registered with the store under SERVICE_SIGNER; a worker
// whose key is not the registered one refuses to start (its signatures would
// be refused by every machine).
import { SERVICE_SIGNER, keyFingerprint } from '../core/signing';
import { signingKeyFor, type SigningKey } from '../local/signing-key';
import type { SignerStore } from '../store/types';

export async function serviceKeyFor(store: Pick<SignerStore, 'registerKey'>, env: NodeJS.ProcessEnv = process.env): Promise<SigningKey> {
  const key = await signingKeyFor(env, undefined, 'service');
  const registered = await store.registerKey(SERVICE_SIGNER, key.publicKey);
  if (registered !== key.publicKey) {
    throw new Error(
      `this worker's service key ${keyFingerprint(key.publicKey)} (${key.source}) is not the team's (${keyFingerprint(registered)}): give this worker the first worker's keys/service-key, or have a team admin replace it with \`skillopt keys replace ${SERVICE_SIGNER} ${key.publicKey}\``,
    );
  }
  return key;
}
