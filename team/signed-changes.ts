// Where a change to a skill is accepted (the direct backend on the embedded or
// central machine, the central worker's activities for teammates), it is
// checked here first: its signature verifies, its signer's key is the one the
// team registered for them (registered now on first use), and the signer may
// make it (an owner, or the service for its own candidates and decisions).
// Each refusal is one line. Pulling machines check everything again with keys
// they pinned themselves (core/trust.ts): this side keeps the store honest for
// honest readers, it is not what a machine trusts.
import { formatSkillRef, type SkillRef } from '../core/skill-ref';
import { SERVICE_SIGNER, keyFingerprint, signatureShapeProblem, signatureVerifies, type Signature, type SignedChange } from '../core/signing';
import { ADMIN_PIN, ownersOf, type SkillSigners } from '../core/trust';
import { StoreValidationError, type SignerStore, type VersionStore } from '../store/types';

/** A change refused for its signature or its signer, in one line. */
export class SignatureRefusedError extends StoreValidationError {
  override readonly name = 'SignatureRefusedError';
}

/** What each kind of change is called in a refusal. */
const WHAT: Record<SignedChange['kind'], string> = {
  push: 'push',
  candidate: 'candidate',
  decide: 'decision',
  rollout: 'rollout change',
  owners: 'owner change',
  key: 'key change',
};

/** Names a person may not sign as: the service's, and the admin pin's. */
function reservedSigner(signer: string): boolean {
  return signer === SERVICE_SIGNER || signer === ADMIN_PIN;
}

/**
 * Checks a person's signature of `change` and that it is theirs: the key the
 * team has for them, or (their first signed change) registers it. Throws
 * SignatureRefusedError. Returns the signer.
 */
export async function acceptPersonSignature(store: SignerStore, change: SignedChange, signature: unknown, as?: string): Promise<string> {
  const what = WHAT[change.kind];
  const shape = signatureShapeProblem(signature);
  if (shape) throw new SignatureRefusedError(`the ${what} is refused: ${shape}`);
  const signed = signature as Signature;
  if (as !== undefined && signed.signer !== as) throw new SignatureRefusedError(`the ${what} is signed by ${signed.signer}, not by ${as}`);
  if (reservedSigner(signed.signer)) throw new SignatureRefusedError(`the ${what} is refused: "${signed.signer}" is reserved for skillopt's own signatures`);
  if (!signatureVerifies(change, signed)) {
    throw new SignatureRefusedError(`the ${what}'s signature does not verify: it was made for another change (another skill, version or tree), or altered`);
  }
  const registered = await store.registerKey(signed.signer, signed.key);
  if (registered !== signed.key) {
    throw new SignatureRefusedError(
      `the ${what} is signed with ${keyFingerprint(signed.key)}, but ${signed.signer}'s key on the team is ${keyFingerprint(registered)}: sign on the machine that holds it, or replace it with \`skillopt keys rotate\` there (or a team admin's \`skillopt keys replace\`)`,
    );
  }
  return signed.signer;
}

/** Every key `user` has had on the team: the current one and those its key changes replaced. */
async function keysOnTeam(store: SignerStore, users: readonly string[]): Promise<Map<string, Set<string>>> {
  const keys = new Map<string, Set<string>>();
  for (const user of users) {
    const key = await store.signingKey(user);
    keys.set(user, new Set(key ? [key] : []));
  }
  for (const change of await store.keyChanges(users)) {
    keys.get(change.user)?.add(change.key);
    if (change.signature.signer === change.user) keys.get(change.user)?.add(change.signature.key);
  }
  return keys;
}

/** The skill's owners now: its author, then each owner change signed by an owner with a key the team has for them. */
export async function currentOwners(store: SignerStore, ref: SkillRef): Promise<Set<string>> {
  const changes = await store.ownerChanges(ref);
  const signers = [...new Set(changes.map((c) => c.signature.signer))];
  const keys = await keysOnTeam(store, signers);
  return ownersOf(ref, changes, (user) => keys.get(user) ?? new Set());
}

/** Throws unless `user` owns the skill. */
export async function requireOwner(store: SignerStore, ref: SkillRef, user: string, doing: string): Promise<void> {
  const owners = await currentOwners(store, ref);
  if (!owners.has(user)) {
    throw new SignatureRefusedError(`${user} may not ${doing} ${formatSkillRef(ref)}: its owners are ${[...owners].sort().join(', ')}`);
  }
}

/**
 * What a pulling machine needs to check a skill's versions (core/trust.ts):
 * the owner changes, the keys of everyone who signed anything of it (and the
 * service's), and their key changes. The pulling machine believes none of it
 * unchecked.
 */
export async function skillSigners(store: SignerStore & Pick<VersionStore, 'history'>, ref: SkillRef, adminKey?: string): Promise<SkillSigners> {
  const [owners, history] = await Promise.all([store.ownerChanges(ref), store.history(ref)]);
  const users = new Set<string>([ref.author, SERVICE_SIGNER]);
  for (const change of owners) users.add(change.user).add(change.signature.signer);
  for (const version of history) {
    if (version.signature) users.add(version.signature.signer);
    if (version.approval) users.add(version.approval.signer);
  }
  const keys: Record<string, string> = {};
  for (const user of [...users].sort()) {
    const key = await store.signingKey(user);
    if (key) keys[user] = key;
  }
  return { owners, keys, keyChanges: await store.keyChanges(Object.keys(keys)), ...(adminKey ? { adminKey } : {}) };
}
