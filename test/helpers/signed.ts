// Test fixtures for signed skills: a person with an ed25519 key, and a publish
// straight into a store with the signature the accepting side would have
// checked, so a pull (which verifies) installs it.
import { contentHash } from '../../core/content-hash';
import { signChange, treeHash } from '../../core/signing';
import type { TreeFile } from '../../core/skill-tree';
import type { VersionSignature } from '../../core/trust';
import { legacyFrontmatter } from '../../core/skill-document';
import { formatSkillRef, type SkillRef } from '../../core/skill-ref';
import { changeOwners } from '../../team/signed-changes';
import type { Signer as Key } from '../../core/signing';
import { testKey } from './keys';
import type { NewSkillVersion, SkillVersion, Store } from '../../store/types';

export interface Person {
  name: string;
  secret: Uint8Array;
  key: string;
}

export function person(name: string): Person {
  const { secret, publicKey } = testKey();
  return { name, secret, key: publicKey };
}

export interface SignedContent {
  body: string;
  /** Default `name: <name>\ndescription: Use when testing`. */
  frontmatter?: string;
  /** path → [text, executable] */
  files?: Record<string, [string, boolean]>;
}

export type Signer = { by: Person; kind: 'push' } | { by: Person; kind: 'candidate'; from: number };

/** Publishes version base+1, signed by `sign` (unsigned without it), registering the signer's key; returns its number. */
export async function publishSigned(store: Store, ref: { name: string; author: string }, base: number, content: SignedContent, sign: Signer | undefined, state?: 'stable' | 'candidate'): Promise<number> {
  const files: TreeFile[] = [];
  const chunks: Array<{ hash: string; data: Uint8Array }> = [];
  for (const [path, [text, executable]] of Object.entries(content.files ?? {})) {
    const data = Buffer.from(text);
    files.push({ path, size: data.length, executable, hash: contentHash(data) });
    chunks.push({ hash: contentHash(data), data });
  }
  await store.putContents(chunks);
  const frontmatter = content.frontmatter ?? `name: ${ref.name}\ndescription: Use when testing`;
  const tree = treeHash({ frontmatter, body: content.body, files });
  const text = `${ref.name}--${ref.author}`;
  let signature: VersionSignature | undefined;
  if (sign) {
    await store.registerKey(sign.by.name, sign.by.key);
    signature =
      sign.kind === 'push'
        ? { ...signChange({ kind: 'push', ref: text, tree, base }, sign.by.name, sign.by.secret), kind: 'push', base }
        : { ...signChange({ kind: 'candidate', ref: text, tree, version: base + 1, from: sign.from }, sign.by.name, sign.by.secret), kind: 'candidate', from: sign.from };
  }
  const published = await store.publishVersion({
    ...ref,
    body: content.body,
    description: 'Use when testing',
    frontmatter,
    files,
    contributors: [ref.author],
    createdBy: sign?.by.name ?? ref.author,
    baseVersion: base,
    ...(state ? { state } : {}),
    ...(signature ? { signature } : {}),
  });
  return published.version.version;
}

/**
 * A person's version written straight into the store as their signed push
 * makes it (over the skill's highest version), registering their key: what a
 * pull checks. `input.createdBy` signs.
 */
export async function publishPushed(store: Store, input: NewSkillVersion, key: Key): Promise<SkillVersion> {
  await store.registerKey(input.createdBy, key.publicKey);
  const base = (await store.latestVersion(input))?.version ?? 0;
  const frontmatter = input.frontmatter ?? legacyFrontmatter(input.name, input.description);
  const tree = treeHash({ frontmatter, body: input.body, files: input.files ?? [] });
  const signature = key.sign({ kind: 'push', ref: formatSkillRef(input), tree, base }, input.createdBy);
  return (await store.publishVersion({ ...input, frontmatter, signature: { ...signature, kind: 'push', base }, signedVersion: base + 1 })).version;
}

/** The author adds an owner with a signed owner change, as `skillopt owners add` does (their key registered by it if new). */
export async function addOwnerSigned(store: Store, ref: SkillRef, user: string, authorKey: Key): Promise<void> {
  const at = new Date().toISOString();
  const signature = authorKey.sign({ kind: 'owners', ref: formatSkillRef(ref), action: 'add', user, at }, ref.author);
  await changeOwners(store, ref, { action: 'add', user, at, signature }, Date.now());
}
