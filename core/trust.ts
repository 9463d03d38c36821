// Whether a version may be installed, decided by the machine that installs it
// from signatures alone: the store's word counts for nothing, so neither a row
// written into the database nor a compromised central worker can put a script
// on anyone's machine. The rules:
//   - a version pushed and signed by an owner;
//   - a version an owner approved (a proposal, or one from before signatures);
//   - a service-signed candidate of a trusted version that changes only the
//     text files the optimizer may edit (never scripts, binaries, new files,
//     nor the frontmatter).
// Owners are the skill's author plus the signed owner changes, replayed in
// order; keys are the ones this machine pinned (resolveKeys).
import { linkedTextFiles } from './linked-files';
import { formatSkillRef, type SkillRef } from './skill-ref';
import { SERVICE_SIGNER, keyFingerprint, signatureVerifies, treeHash, type Signature, type SignedChange } from './signing';
import type { TreeFile } from './skill-tree';

/** A version's own signature: a person's push (over `base`), or the service's candidate (from version `from`). */
export type VersionSignature = Signature & ({ kind: 'push'; base: number } | { kind: 'candidate'; from: number });

/** A signed owner change, as the store keeps it. */
export interface OwnerChange {
  action: 'add' | 'remove';
  user: string;
  at: string;
  signature: Signature;
}

/** A signed key change: `user`'s key from now on, signed by their previous key or the team's admin key. */
export interface KeyChange {
  user: string;
  key: string;
  at: string;
  signature: Signature;
}

/** What the store says about who may sign a skill's versions; checked, not believed (resolveKeys, ownersOf). */
export interface SkillSigners {
  /** Owner changes, oldest first. */
  owners: OwnerChange[];
  /** The key each user (and the service, as SERVICE_SIGNER) has registered with the store now. */
  keys: Record<string, string>;
  /** Key changes of those users, oldest first. */
  keyChanges: KeyChange[];
  /** The team's admin key, when the central worker names one. */
  adminKey?: string;
}

/** The facts of a version the rules read (store/types SkillVersion fits). */
export interface SignedVersion extends SkillRef {
  version: number;
  body: string;
  frontmatter: string;
  files: TreeFile[];
  signature?: VersionSignature | null;
  approval?: Signature | null;
}

/** The key this machine trusts for a signer: the pinned one, or the keys of its checked chain. */
export type KeysOf = (user: string) => ReadonlySet<string>;

/** The name a pinned admin key goes by (never a user name: user names cannot start with "@"). */
export const ADMIN_PIN = '@admin';

export interface ResolvedKeys {
  keysOf: KeysOf;
  /** Pins to write: a first sight, or a change signed by the pinned key. */
  pins: Record<string, string>;
  /** Users whose key changed without a signature by the pinned one: nothing they signed is trusted. */
  refused: Record<string, string>;
}

function byTime<T extends { at: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/**
 * The keys this machine trusts, from its pins and what the store says: a
 * user seen for the first time is pinned as the store says (trust on first
 * use, as SSH's known hosts); a pinned user whose key changed is followed only
 * along changes each signed by the key before it (or by the pinned admin key).
 */
export function resolveKeys(pinned: Readonly<Record<string, string>>, signers: SkillSigners): ResolvedKeys {
  // Maps, and own properties only: a user may be named "constructor" or "__proto__".
  const pinnedKey = (user: string): string | undefined => (Object.hasOwn(pinned, user) ? pinned[user] : undefined);
  const pins = new Map<string, string>();
  const refused = new Map<string, string>();
  const trusted = new Map<string, Set<string>>();
  const admin = pinnedKey(ADMIN_PIN) ?? signers.adminKey;
  if (admin && !pinnedKey(ADMIN_PIN)) pins.set(ADMIN_PIN, admin);
  for (const [user, storeKey] of Object.entries(signers.keys)) {
    const changes = byTime(signers.keyChanges.filter((c) => c.user === user));
    const start = pinnedKey(user);
    if (start === undefined) {
      // First sight: the store's key, and the keys its signed changes came from (so older signatures still count).
      const chain = new Set([storeKey]);
      for (const change of [...changes].reverse()) {
        if (chain.has(change.key) && change.signature.signer === user && keyChangeVerifies(change)) chain.add(change.signature.key);
      }
      trusted.set(user, chain);
      pins.set(user, storeKey);
      continue;
    }
    const chain = new Set([start]);
    let current = start;
    for (const change of changes) {
      if (change.key === current) continue;
      const byOld = change.signature.signer === user && change.signature.key === current;
      const byAdmin = admin !== undefined && change.signature.signer === ADMIN_PIN && change.signature.key === admin;
      if ((byOld || byAdmin) && keyChangeVerifies(change)) {
        current = change.key;
        chain.add(current);
      }
    }
    if (current === storeKey) {
      trusted.set(user, chain);
      if (current !== start) pins.set(user, current);
    } else {
      trusted.set(user, new Set([start]));
      refused.set(
        user,
        `${user}'s key on the team (${keyFingerprint(storeKey)}) is not the one this machine pinned (${keyFingerprint(start)}) and no change signed by the old key leads to it`,
      );
    }
  }
  return {
    keysOf: (user) => trusted.get(user) ?? new Set(pinnedKey(user) ? [pinnedKey(user)!] : []),
    pins: Object.fromEntries(pins),
    refused: Object.fromEntries(refused),
  };
}

function keyChangeVerifies(change: KeyChange): boolean {
  return signatureVerifies({ kind: 'key', user: change.user, key: change.key, at: change.at }, change.signature);
}

/** True when `signature` is by `signer` with a key this machine trusts for them, over `change`. */
function signedBy(change: SignedChange, signature: Signature | null | undefined, keysOf: KeysOf, signers?: ReadonlySet<string>): boolean {
  if (!signature) return false;
  if (signers && !signers.has(signature.signer)) return false;
  return keysOf(signature.signer).has(signature.key) && signatureVerifies(change, signature);
}

/** The skill's owners: its author, then each owner change signed by someone who was an owner when it was made. */
export function ownersOf(ref: SkillRef, changes: readonly OwnerChange[], keysOf: KeysOf): Set<string> {
  const owners = new Set([ref.author]);
  const text = formatSkillRef(ref);
  for (const change of byTime(changes)) {
    if (!signedBy({ kind: 'owners', ref: text, action: change.action, user: change.user, at: change.at }, change.signature, keysOf, owners)) continue;
    if (change.action === 'add') owners.add(change.user);
    else if (owners.size > 1) owners.delete(change.user);
  }
  return owners;
}

/** Why a service candidate's tree may not come from its base: it changes more than the optimizer may edit. */
export function serviceEditProblem(base: Pick<SignedVersion, 'body' | 'frontmatter' | 'files'>, candidate: Pick<SignedVersion, 'frontmatter' | 'files'>): string | undefined {
  if (candidate.frontmatter !== base.frontmatter) return 'it changes the frontmatter';
  const editable = new Set(linkedTextFiles(base.body, base.files).map((f) => f.path));
  const before = new Map(base.files.map((f) => [f.path, f]));
  if (candidate.files.length !== base.files.length) return 'it adds or removes files';
  // The same paths, each once: a path listed twice could stand in for a file it drops.
  if (new Set(candidate.files.map((f) => f.path)).size !== candidate.files.length) return 'it lists a file twice';
  for (const file of candidate.files) {
    const old = before.get(file.path);
    if (!old) return `it adds ${file.path}`;
    if (old.hash === file.hash && old.executable === file.executable) continue;
    if (!editable.has(file.path) || file.executable) return `it changes ${file.path}, which the optimizer may not edit`;
  }
  return undefined;
}

export type Trust = { trusted: true; why: string } | { trusted: false; why: string };

export interface TrustContext {
  owners: ReadonlySet<string>;
  keysOf: KeysOf;
  /** The base of a service candidate and whether it is trusted (the caller reads and checks it first). */
  base?: { version: SignedVersion; trust: Trust };
}

/** Whether this machine may install `version`, and why in a few words. */
export function versionTrust(version: SignedVersion, context: TrustContext): Trust {
  const ref = formatSkillRef(version);
  const tree = treeHash(version);
  const { owners, keysOf } = context;
  const approved = signedBy({ kind: 'decide', ref, version: version.version, tree, action: 'approve' }, version.approval, keysOf, owners);
  if (approved) return { trusted: true, why: `approved by ${version.approval!.signer}` };
  const signature = version.signature;
  if (!signature) return { trusted: false, why: `v${version.version} is not signed (published before signatures, or written into the store): an owner signs it with \`skillopt skills sign ${ref} ${version.version}\`` };
  if (signature.kind === 'push') {
    const valid = signedBy({ kind: 'push', ref, tree, base: signature.base }, signature, keysOf);
    if (!valid) return { trusted: false, why: `v${version.version}'s signature by ${signature.signer} does not verify with the key this machine trusts for them` };
    // A push over `base` became base + 1: an old signed tree served again as a newer version is a rollback.
    if (signature.base !== version.version - 1) return { trusted: false, why: `v${version.version} carries the signature of a push that made v${signature.base + 1}` };
    if (owners.has(signature.signer)) return { trusted: true, why: `pushed by owner ${signature.signer}` };
    return { trusted: false, why: `v${version.version} is a proposal by ${signature.signer}, not an owner; it installs once an owner approves it` };
  }
  const valid = signature.signer === SERVICE_SIGNER && signedBy({ kind: 'candidate', ref, tree, version: version.version, from: signature.from }, signature, keysOf);
  if (!valid) return { trusted: false, why: `v${version.version}'s service signature does not verify with the service key this machine trusts` };
  const base = context.base;
  if (!base || base.version.version !== signature.from) return { trusted: false, why: `v${version.version}'s base v${signature.from} could not be read` };
  if (!base.trust.trusted) return { trusted: false, why: `v${version.version} comes from v${signature.from}, which is not trusted: ${base.trust.why}` };
  const problem = serviceEditProblem(base.version, version);
  if (problem) return { trusted: false, why: `v${version.version} is the optimizer's candidate of v${signature.from}, but ${problem}` };
  return { trusted: true, why: `the optimizer's edit of v${signature.from}` };
}
