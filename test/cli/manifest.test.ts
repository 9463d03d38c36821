// core/manifest: the pure logic the PreToolUse hook and pull share.
import { describe, expect, it } from 'vitest';
import {
  emptyManifest,
  findEntry,
  findInstalled,
  isOrgSkill,
  parseManifest,
  removeEntry,
  serializeManifest,
  upsertEntry,
  validateEntry,
} from '../../core/manifest';
import type { ManifestEntry } from '../../core/manifest';

const entry = (over: Partial<ManifestEntry> = {}): ManifestEntry => ({
  dirName: 'deploy--alice',
  name: 'deploy',
  author: 'alice',
  version: 2,
  scope: 'user',
  root: '/home/alice/.claude/skills',
  pulledAt: '2025-01-01T00:00:00.000Z',
  ...over,
});

describe('manifest', () => {
  it('round-trips through serialize and parse', () => {
    const m = upsertEntry(upsertEntry(emptyManifest(), entry()), entry({ dirName: 'lint--bob', name: 'lint', author: 'bob', version: 1 }));
    expect(parseManifest(serializeManifest(m))).toEqual(m);
  });

  it.each([
    ['not JSON', '{oops'],
    ['an array', '[]'],
    ['another version', JSON.stringify({ version: 2, entries: [entry()] })],
    ['no entries', JSON.stringify({ version: 1 })],
    ['empty', ''],
  ])('reads %s as empty', (_label, text) => {
    expect(parseManifest(text)).toEqual(emptyManifest());
  });

  it.each([
    ['a slash', { dirName: 'a/b--alice' }],
    ['a backslash', { dirName: 'a\\b--alice' }],
    ['..', { dirName: 'deploy--..' }],
    ['a dirName that is not <name>--<author>', { dirName: 'deploy--bob' }],
    ['a bare name', { dirName: 'deploy' }],
    ['a relative root', { root: 'skills' }],
    ['a bad version', { version: 0 }],
    ['a bad scope', { scope: 'global' as never }],
  ])('drops an entry with %s', (_label, over) => {
    expect(validateEntry(entry(over))).toBeUndefined();
    const text = JSON.stringify({ version: 1, entries: [entry(over), entry({ root: '/p/.claude/skills', scope: 'project' })] });
    expect(parseManifest(text).entries).toEqual([entry({ root: '/p/.claude/skills', scope: 'project' })]);
  });

  it('is keyed by (root, dirName): upsert replaces, other roots are separate installs', () => {
    let m = upsertEntry(emptyManifest(), entry());
    m = upsertEntry(m, entry({ version: 3 }));
    m = upsertEntry(m, entry({ root: '/work/app/.claude/skills', scope: 'project', version: 1 }));
    expect(m.entries).toHaveLength(2);
    expect(findEntry(m, '/home/alice/.claude/skills', 'deploy--alice')?.version).toBe(3);
    expect(findInstalled(m, 'deploy--alice').map((e) => e.version).sort()).toEqual([1, 3]);
    expect(removeEntry(m, '/home/alice/.claude/skills', 'deploy--alice').entries).toHaveLength(1);
  });

  it('answers "is this an org skill?" for the hook', () => {
    const m = upsertEntry(emptyManifest(), entry({ dirName: 'some-skill--first--last', name: 'some-skill', author: 'first--last' }));
    expect(isOrgSkill(m, 'some-skill--first--last')).toBe(true);
    expect(isOrgSkill(m, { name: 'some-skill', author: 'first--last' })).toBe(true);
    for (const other of ['some-skill', 'x--alice', 'plugin:some-skill', '../some-skill--first--last', 'a--b/c', '']) {
      expect(isOrgSkill(m, other)).toBe(false);
    }
  });

  it('keeps a long name whole', () => {
    const name = 'a-very-long-skill-name-that-goes-on-and-on-describing-exactly-when-to-use-it-in-detail';
    const m = upsertEntry(emptyManifest(), entry({ dirName: `${name}--alice`, name }));
    expect(parseManifest(serializeManifest(m)).entries[0]?.dirName).toBe(`${name}--alice`);
  });
});
