// The hooks' pure pieces, in-process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyManifest, upsertEntry } from '../../core/manifest';
import { derivedEventId, eventIdFor, fnv1a128 } from '../../hooks/event-id';
import { cutUtf8, reactionText } from '../../hooks/handlers';
import { sessionFileStem } from '../../hooks/hint';
import { promptStartOffset } from '../../agents/prompt-offset';
import { orgSkillsInContext } from '../../agents/skills-in-context';
import { agentInstallRoots } from '../../agents/registry';

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

describe('event ids', () => {
  // The 128-bit FNV-1a spelled out with BigInt: the limb arithmetic must agree with it.
  const reference = (text: string): bigint => {
    let h = 0x6c62272e07bb014262b821756295c58dn;
    for (const b of Buffer.from(text, 'utf8')) h = BigInt.asUintN(128, (h ^ BigInt(b)) * 0x1000000000000000000013bn);
    return h;
  };
  const asBigInt = (limbs: number[]): bigint => limbs.reduceRight((acc, limb) => (acc << 16n) | BigInt(limb), 0n);

  it('fnv1a128 is FNV-1a 128 (published vectors, and the BigInt definition on varied input)', () => {
    expect(asBigInt(fnv1a128(''))).toBe(0x6c62272e07bb014262b821756295c58dn);
    expect(asBigInt(fnv1a128('a'))).toBe(0xd228cb696f1a8caf78912b704e4a8964n);
    const samples = ['toolu_01lfyrw5N8vmy7avHD8Pgdla', '55d26314-4e03-46a7-825a-e10622277050', 'é€😀\0x', '\u00ff'.repeat(300)];
    for (let i = 0; i < 200; i++) samples.push(Array.from({ length: i }, (_, j) => String.fromCharCode(((i * 7919 + j * 104729) % 0xd7ff) + 1)).join(''));
    for (const text of samples) expect(asBigInt(fnv1a128(text))).toBe(reference(text));
  });

  it('derived ids are UUIDs (version 8), the same for the same parts, different otherwise', () => {
    const id = derivedEventId('reaction', 'session-1', 'prompt-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedEventId('reaction', 'session-1', 'prompt-1')).toBe(id);
    const others = [
      derivedEventId('invoked', 'session-1', 'prompt-1'),
      derivedEventId('reaction', 'session-1', 'prompt-2'),
      derivedEventId('reaction', 'session-2', 'prompt-1'),
      derivedEventId('reaction', 'session-1p', 'rompt-1'),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });

  it('without the identifying fields an id is random (v4)', async () => {
    const a = await eventIdFor('reaction', 'session-1', undefined);
    const b = await eventIdFor('reaction', 'session-1', '');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(await eventIdFor('reaction', 'session-1', 'prompt-1')).toBe(derivedEventId('reaction', 'session-1', 'prompt-1'));
  });
});

it('session ids become safe file names', () => {
  expect(sessionFileStem('55d26314-4e03-46a7-825a-e10622277050')).toBe('55d26314-4e03-46a7-825a-e10622277050');
  expect(sessionFileStem('../../etc/passwd')).toBe('______etc_passwd');
  expect(sessionFileStem('x'.repeat(300))).toHaveLength(200);
});

it('org skills in context: what Claude Code loads (user root, else project root) when pull installed it, sorted by name then author', () => {
  const roots = agentInstallRoots('claude', { home: '/home/a', cwd: '/work/p', env: {} });
  let m = emptyManifest();
  const add = (name: string, author: string, version: number, root: string) =>
    (m = upsertEntry(m, { dirName: `${name}--${author}`, name, author, version, scope: 'user', root, pulledAt: '' }));
  add('zeta', 'bob', 1, roots.user);
  add('alpha', 'zed', 2, roots.project);
  add('alpha', 'amy', 3, roots.project);
  add('alpha', 'amy', 5, roots.user);
  add('other', 'x', 1, '/elsewhere/.claude/skills');
  add('gone', 'x', 1, roots.user);
  add('shadowed', 'x', 1, roots.project);
  // On disk: every pulled folder but gone--x, and a local shadowed--x in the user root, which Claude Code loads instead.
  const onDisk = new Set([
    ...m.entries.filter((e) => e.dirName !== 'gone--x').map((e) => join(e.root, e.dirName)),
    join(roots.user, 'shadowed--x'),
  ]);
  expect(orgSkillsInContext(m, [roots.user, roots.project], (dir) => onDisk.has(dir))).toEqual([
    { name: 'alpha', author: 'amy', version: 5 },
    { name: 'alpha', author: 'zed', version: 2 },
    { name: 'zeta', author: 'bob', version: 1 },
  ]);
});

describe('promptStartOffset (where a late-running UserPromptSubmit cuts the judgment)', () => {
  const entry = (fields: Record<string, unknown>) => `${JSON.stringify(fields)}\n`;
  const user = (promptId: string, text: string) => entry({ parentUuid: 'p', promptId, type: 'user', message: { role: 'user', content: text } });
  const answer = (text: string) => entry({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text }] } });
  const withFile = (text: string, fn: (path: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'skillopt-offset-'));
    try {
      const path = join(dir, 't.jsonl');
      writeFileSync(path, text);
      fn(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is the start of the prompt\'s first entry, whatever was appended after it; the size when the prompt is not written yet', () => {
    // Long lines, so that the entries straddle the 64 KiB chunks read from the end.
    const before = user('p1', 'deploy') + answer('x'.repeat(100_000)) + entry({ type: 'queue-operation', content: 'that was wrong' });
    const prompt = user('p2', 'that was wrong');
    const after = answer('y'.repeat(70_000)) + entry({ type: 'user', promptId: 'p2', message: { content: [{ type: 'tool_result' }] } }) + answer('z'.repeat(200_000));
    const at = Buffer.byteLength(before);
    withFile(before + prompt + after, (path) => expect(promptStartOffset(path, 'p2')).toBe(at));
    // The answer's last line still being written.
    withFile(before + prompt + after.slice(0, -5000), (path) => expect(promptStartOffset(path, 'p2')).toBe(at));
    withFile(before + prompt, (path) => expect(promptStartOffset(path, 'p2')).toBe(at));
    // Not written yet: everything in the file came before it.
    withFile(before, (path) => expect(promptStartOffset(path, 'p2')).toBe(at));
    // The first prompt of the file.
    withFile(prompt + after, (path) => expect(promptStartOffset(path, 'p2')).toBe(0));
    // Without an id (Codex), the size; without a file, 0.
    withFile(before + prompt, (path) => expect(promptStartOffset(path, undefined)).toBe(at + Buffer.byteLength(prompt)));
    expect(promptStartOffset(join(tmpdir(), 'no-such-dir-skillopt', 't.jsonl'), 'p2')).toBe(0);
  });

  it('counts bytes, not characters', () => {
    const before = user('p1', 'déployé 😀') + answer('€'.repeat(30_000));
    withFile(before + user('p2', 'non, faux') + answer('ok'), (path) => expect(promptStartOffset(path, 'p2')).toBe(Buffer.byteLength(before)));
  });
});
