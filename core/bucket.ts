// Deterministic buckets: the same session (A/B arm) or user (canary cohort,
// core/rollout-rules.ts) always lands in the same bucket, on every machine, with no state.

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over the UTF-16 code units of `sessionId`, reduced to [0, buckets). */
export function abBucket(sessionId: string, buckets = 2): number {
  if (!Number.isInteger(buckets) || buckets < 1) {
    throw new RangeError(`buckets must be an integer of at least 1, got ${String(buckets)}`);
  }
  return Math.abs(fnv1a32(sessionId) | 0) % buckets;
}

/**
 * 32-bit FNV-1a over the UTF-16 code units of `text` (bytes, for ASCII), as an
 * unsigned integer. The buckets read it as signed (`| 0`) and take its absolute
 * value, so theirs stay the seed's.
 */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}
