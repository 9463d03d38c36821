// This machine's pinned keys and its record of refused versions: written whole,
// merged under a lock, and a damaged pins file is an error, never "no pins".
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPins, forgetPin, pinnedKeysPath, PinnedKeysError, readPinnedKeys } from '../../local/pinned-keys';
import { readPullRefusals, recordPullRefusals } from '../../local/pull-refusals';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'skillopt-pins-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('pinned keys', () => {
  it('reads as none before any pull, then keeps what is added, sorted, mode 0600', async () => {
    expect(await readPinnedKeys(home)).toEqual({});
    await addPins(home, { bob: B });
    await addPins(home, { alice: A, '@admin': B });
    expect(await readPinnedKeys(home)).toEqual({ '@admin': B, alice: A, bob: B });
    expect(Object.keys(JSON.parse(await readFile(pinnedKeysPath(home), 'utf8')) as object)).toEqual(['@admin', 'alice', 'bob']);
    expect((await stat(pinnedKeysPath(home))).mode & 0o777).toBe(0o600);
  });

  it('replaces a pin with the one given (resolveKeys gives a changed pin only along a signed change)', async () => {
    await addPins(home, { alice: A });
    await addPins(home, { alice: B });
    expect(await readPinnedKeys(home)).toEqual({ alice: B });
  });

  it('writes nothing for no pins or the same pins', async () => {
    await addPins(home, {});
    await expect(stat(pinnedKeysPath(home))).rejects.toThrow();
    await addPins(home, { alice: A });
    const before = (await stat(pinnedKeysPath(home))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await addPins(home, { alice: A });
    expect((await stat(pinnedKeysPath(home))).mtimeMs).toBe(before);
  });

  it('forgets one pin and says which key it was', async () => {
    await addPins(home, { alice: A, bob: B });
    expect(await forgetPin(home, 'alice')).toBe(A);
    expect(await forgetPin(home, 'alice')).toBeUndefined();
    expect(await readPinnedKeys(home)).toEqual({ bob: B });
  });

  it('loses no pin when pulls add them at once', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `user${i}`);
    await Promise.all(users.map((u, i) => addPins(home, { [u]: i % 2 ? A : B })));
    expect(Object.keys(await readPinnedKeys(home)).sort()).toEqual([...users].sort());
  });

  it('refuses a damaged file in one line instead of trusting every key again', async () => {
    await writeFile(pinnedKeysPath(home), '{"alice": "not-a-key"}');
    await expect(readPinnedKeys(home)).rejects.toThrow(PinnedKeysError);
    await expect(readPinnedKeys(home)).rejects.toThrow(/^[^\n]*holds a pin for "alice" that is not an ed25519 public key; restore it/);
    await writeFile(pinnedKeysPath(home), '{');
    await expect(readPinnedKeys(home)).rejects.toThrow(/is not valid JSON/);
    await expect(addPins(home, { bob: B })).rejects.toThrow(PinnedKeysError);
    await expect(addPins(home, { bob: 'xyz' })).rejects.toThrow(/refusing to pin "bob"/);
  });
});

describe('pull refusals', () => {
  const at = '2026-12-07T00:00:00.000Z';
  it('keeps the last refusals per root; a later pull that handled a ref clears it', async () => {
    await recordPullRefusals(home, '/r1', ['x--a', 'y--a'], [{ ref: 'x--a', version: 2, why: 'not signed', at }]);
    await recordPullRefusals(home, '/r2', ['x--a'], [{ ref: 'x--a', version: 3, why: 'forged', at }]);
    expect(await readPullRefusals(home)).toEqual([
      { root: '/r1', ref: 'x--a', version: 2, why: 'not signed', at },
      { root: '/r2', ref: 'x--a', version: 3, why: 'forged', at },
    ]);
    // An aborted pull that did not get to x--a leaves its refusal.
    await recordPullRefusals(home, '/r1', ['y--a'], []);
    expect((await readPullRefusals(home)).filter((r) => r.root === '/r1')).toHaveLength(1);
    await recordPullRefusals(home, '/r1', ['x--a', 'y--a'], []);
    expect((await readPullRefusals(home)).map((r) => r.root)).toEqual(['/r2']);
  });
});

describe('pinned keys, user names that are also object properties', () => {
  it('keeps, reads and forgets "__proto__" and "constructor" like anyone else', async () => {
    await addPins(home, JSON.parse(`{"__proto__": "${A}", "constructor": "${B}"}`) as Record<string, string>);
    const pins = await readPinnedKeys(home);
    expect(Object.entries(pins).sort()).toEqual([['__proto__', A], ['constructor', B]]);
    expect(await forgetPin(home, 'toString')).toBeUndefined();
    expect(await forgetPin(home, '__proto__')).toBe(A);
    expect(Object.entries(await readPinnedKeys(home))).toEqual([['constructor', B]]);
  });
});
