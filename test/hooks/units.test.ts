// The hooks' pure pieces, in-process.
import { describe, expect, it } from 'vitest';
import { emptyManifest, upsertEntry } from '../../core/manifest';
import { cutUtf8, reactionText } from '../../hooks/handlers';
import { sessionFileStem } from '../../hooks/hint';
import { validateOutboxEvent } from '../../hooks/outbox';
import { orgSkillsInContext, skillRoots } from '../../hooks/skills-in-context';

describe('cutUtf8', () => {
  it('keeps text that fits, and never ends inside a character', () => {
    expect(cutUtf8('héllo', 100)).toBe('héllo');
    expect(cutUtf8('abc', 3)).toBe('abc');
    // "é" is 2 bytes, "€" 3, "😀" 4: every cut falls back to a whole character.
    for (let max = 0; max <= 12; max++) {
      const cut = cutUtf8('aé€😀b', max);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(max);
      expect('aé€😀b'.startsWith(cut)).toBe(true);
    }
    expect(cutUtf8('aé€😀b', 6)).toBe('aé€');
    expect(cutUtf8('aé€😀b', 9)).toBe('aé€');
    expect(cutUtf8('aé€😀b', 10)).toBe('aé€😀');
  });

  it('reactionText redacts, then caps at 8 KiB', () => {
    expect(reactionText('use password=hunter2-secret please')).toBe('use password=[REDACTED:password] please');
    expect(Buffer.byteLength(reactionText('€'.repeat(10_000)))).toBe(8190);
  });
});

it('session ids become safe file names', () => {
  expect(sessionFileStem('55d26314-4e03-46a7-825a-e10622277050')).toBe('55d26314-4e03-46a7-825a-e10622277050');
  expect(sessionFileStem('../../etc/passwd')).toBe('______etc_passwd');
  expect(sessionFileStem('x'.repeat(300))).toHaveLength(200);
});

describe('validateOutboxEvent', () => {
  const good = {
    v: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    ref: { name: 'deploy', author: 'alice' },
    workflowId: 'skill:somebody-else--mallory',
    config: { judgeWindow: 3 },
    signal: 'invoked',
    payload: { eventId: 'e1', sessionId: 's1' },
  };

  it('derives the workflow id from the ref, never from the file', () => {
    expect(validateOutboxEvent(good)).toMatchObject({ workflowId: 'skill:deploy--alice' });
  });

  it.each([
    ['not an object', 42],
    ['another version', { ...good, v: 2 }],
    ['an invalid ref', { ...good, ref: { name: '../x', author: 'alice' } }],
    ['an unknown signal', { ...good, signal: 'cancel' }],
    ['no event id', { ...good, payload: { sessionId: 's1' } }],
    ['a zero window', { ...good, config: { judgeWindow: 0 } }],
  ])('refuses %s', (_name, data) => {
    expect(typeof validateOutboxEvent(data)).toBe('string');
  });
});

it('org skills in context: user and project roots only, deduplicated (user first), sorted by name then author', () => {
  const roots = skillRoots('/home/a', '/work/p');
  let m = emptyManifest();
  const add = (name: string, author: string, version: number, root: string) =>
    (m = upsertEntry(m, { dirName: `${name}--${author}`, name, author, version, scope: 'user', root, pulledAt: '' }));
  add('zeta', 'bob', 1, roots.user);
  add('alpha', 'zed', 2, roots.project);
  add('alpha', 'amy', 3, roots.project);
  add('alpha', 'amy', 5, roots.user);
  add('other', 'x', 1, '/elsewhere/.claude/skills');
  add('gone', 'x', 1, roots.user);
  expect(orgSkillsInContext(m, roots, (dir) => !dir.endsWith('gone--x'))).toEqual([
    { name: 'alpha', author: 'amy', version: 5 },
    { name: 'alpha', author: 'zed', version: 2 },
    { name: 'zeta', author: 'bob', version: 1 },
  ]);
});
