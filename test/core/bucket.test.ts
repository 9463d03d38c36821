import { describe, expect, it } from 'vitest';
import { abBucket, fnv1a32 } from '../../core/bucket';

describe('abBucket', () => {
  it.each([
    ['S1', 1],
    ['S2', 0],
    ['abc', 1],
    ['session-42', 0],
    ['', 1],
  ])('puts %j in bucket %i of 2', (id, bucket) => {
    expect(abBucket(id)).toBe(bucket);
    expect(abBucket(id, 2)).toBe(bucket);
  });

  it.each([
    ['S1', 9],
    ['S2', 2],
    ['session-42', 8],
  ])('puts %j in bucket %i of 10', (id, bucket) => {
    expect(abBucket(id, 10)).toBe(bucket);
  });

  it('fills both arms over session-0..session-199, always in range', () => {
    const buckets = Array.from({ length: 200 }, (_, i) => abBucket(`session-${i}`));
    expect(new Set(buckets)).toEqual(new Set([0, 1]));
    const tens = Array.from({ length: 200 }, (_, i) => abBucket(`session-${i}`, 10));
    expect(tens.every((b) => Number.isInteger(b) && b >= 0 && b < 10)).toBe(true);
  });

  it('hashes UTF-16 code units, not code points', () => {
    // Over code points these would be 959 and 858.
    expect(abBucket('😀', 1000)).toBe(824);
    expect(abBucket('a😀b', 1000)).toBe(87);
    expect(abBucket('anything', 1)).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects %d buckets with a clear error', (buckets) => {
    expect(() => abBucket('S1', buckets)).toThrow(/buckets must be an integer of at least 1/);
  });
});

describe('fnv1a32', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('gives the published FNV-1a 32 of %j, unsigned', (text, hash) => {
    expect(fnv1a32(text)).toBe(hash);
  });

  it('is what abBucket reduces', () => {
    for (const id of ['S1', 'S2', 'abc', '', '😀']) expect(abBucket(id, 1000)).toBe(Math.abs(fnv1a32(id) | 0) % 1000);
  });
});
