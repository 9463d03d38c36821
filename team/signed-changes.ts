// Where a change to a skill is accepted (the direct backend on the embedded or
// central machine, the central worker's activities for teammates), it is
// checked here first: its signature verifies, its signer's key is the one the
// team registered for them (registered now on first use), and the signer may
// make it (an owner, or the service for its own candidates and decisions).
// Each refusal is one line. Pulling machines check everything again with keys
// they pinned themselves (core/trust.ts): this side keeps the store honest for
// honest readers, it is not what a machine trusts.
import { formatSkillRef, type SkillRef } from '../core/skill-ref';
import { SERVICE_SIGNER, keyFingerprint, publicKeyProblem, signatureShapeProblem, signatureVerifies, signedAtProblem, treeHash, type Signature, type SignedChange } from '../core/signing';
import { ADMIN_PIN, ownersOf, type KeyChange, type OwnerChange, type SkillSigners } from '../core/trust';
import { StoreValidationError, type RolloutStore, type SignerStore, type VersionStore } from '../store/types';
import type { RolloutChange } from './backend';

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

type SignedStore = SignerStore & Pick<VersionStore, 'getVersion' | 'setApproval'> & Pick<RolloutStore, 'setRolloutSettings'>;

function requireFresh(at: string, nowMs: number): void {
  const problem = signedAtProblem(at, nowMs);
  if (problem) throw new SignatureRefusedError(problem);
}

/** What a rollout change's signature covers; `precheck` only when set, so a change signed before it existed still verifies. */
export function rolloutSigned(ref: SkillRef, change: Pick<RolloutChange, 'policy' | 'canary' | 'precheck' | 'at'>): SignedChange {
  const { policy, canary, precheck, at } = change;
  return { kind: 'rollout', ref: formatSkillRef(ref), policy, canary: canary ?? null, ...(precheck ? { precheck } : {}), at };
}

/** `skills set-rollout`, signed by an owner; a change signed no later than the one in force is a replay (the store refuses it). */
export async function setSignedRollout(store: SignedStore, ref: SkillRef, change: RolloutChange, nowMs: number): Promise<void> {
  const { policy, canary, precheck, by, at, signature } = change;
  requireFresh(at, nowMs);
  await acceptPersonSignature(store, rolloutSigned(ref, change), signature, by);
  await requireOwner(store, ref, by, 'change the rollout of');
  await store.setRolloutSettings(ref, { policy, canary: canary ?? null, precheck: precheck ?? null, updatedBy: by, signedAt: at });
}

/** `owners add|remove`, signed by an owner; the last owner stays. */
export async function changeOwners(store: SignedStore, ref: SkillRef, change: OwnerChange, nowMs: number): Promise<Set<string>> {
  const label = formatSkillRef(ref);
  requireFresh(change.at, nowMs);
  const signer = await acceptPersonSignature(store, { kind: 'owners', ref: label, action: change.action, user: change.user, at: change.at }, change.signature);
  if (!(await store.getVersion(ref, 1))) throw new SignatureRefusedError(`no skill ${label} in the store`);
  await requireOwner(store, ref, signer, 'change the owners of');
  const owners = await currentOwners(store, ref);
  if (change.action === 'add' && owners.has(change.user)) throw new SignatureRefusedError(`${change.user} already owns ${label}`);
  if (change.action === 'remove' && !owners.has(change.user)) throw new SignatureRefusedError(`${change.user} does not own ${label}`);
  if (change.action === 'remove' && owners.size === 1) throw new SignatureRefusedError(`${change.user} is the last owner of ${label}; add another owner first`);
  const last = (await store.ownerChanges(ref)).at(-1);
  if (last && last.at >= change.at) throw new SignatureRefusedError(`an owner change of ${label} signed at ${last.at} is in force; this one, signed at ${change.at}, is older or a replay`);
  await store.addOwnerChange(ref, change);
  if (change.action === 'add') owners.add(change.user);
  else owners.delete(change.user);
  return owners;
}

/** `skills sign`: an owner signs one version as it is (one from before signatures), so every machine may install it. */
export async function signVersion(store: SignedStore, ref: SkillRef, version: number, approval: Signature): Promise<void> {
  const label = `${formatSkillRef(ref)} v${version}`;
  const record = await store.getVersion(ref, version);
  if (!record) throw new SignatureRefusedError(`no ${label} in the store`);
  if (record.state === 'candidate' && record.proposedBy) throw new SignatureRefusedError(`${label} is a proposal by ${record.proposedBy}: approve it with \`skillopt approve ${formatSkillRef(ref)} ${version}\``);
  const change: SignedChange = { kind: 'decide', ref: formatSkillRef(ref), version, tree: treeHash(record), action: 'approve' };
  const signer = await acceptPersonSignature(store, change, approval);
  await requireOwner(store, ref, signer, 'sign');
  await store.setApproval(ref, version, approval);
}

/** A person's key replaced: signed by their current key (`keys rotate`) or by the team's admin key (`keys replace`). */
export async function replaceKey(store: SignerStore, change: KeyChange, adminKey: string | undefined, nowMs: number): Promise<void> {
  requireFresh(change.at, nowMs);
  const shape = signatureShapeProblem(change.signature) ?? publicKeyProblem(change.key);
  if (shape) throw new SignatureRefusedError(`the key change is refused: ${shape}`);
  const current = await store.signingKey(change.user);
  const { signer, key } = change.signature;
  const byOld = signer === change.user && current !== undefined && key === current;
  const byAdmin = signer === ADMIN_PIN && adminKey !== undefined && key === adminKey;
  if (!byOld && !byAdmin) {
    throw new SignatureRefusedError(
      current === undefined
        ? `${change.user} has no key on the team yet: their first signed push or decision registers it`
        : `a key change for ${change.user} must be signed by their current key (${keyFingerprint(current)}) or by the team's admin key`,
    );
  }
  if (!signatureVerifies({ kind: 'key', user: change.user, key: change.key, at: change.at }, change.signature)) throw new SignatureRefusedError("the key change's signature does not verify");
  await store.replaceKey(change);
}
