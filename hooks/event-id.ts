// Event ids for the outbox. Claude Code runs every distinct hook command it
// finds, so skillopt installed in both the user and the project settings (with
// different command strings) runs each hook twice. An id derived from what
// identifies the event (the session and the tool_use_id or prompt_id) makes
// the second copy the same event, which the workflow ignores. Only without
// those fields is the id random.
//
// The hash is FNV-1a 128 in plain JS: node:crypto would load ~36 built-in
// modules (several ms) on every arm and react; this costs microseconds.
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * FNV-1a, 128 bits, over the UTF-8 bytes of `text`, as eight little-endian
 * 16-bit limbs. 16-bit limbs keep every intermediate a small integer, which
 * the interpreter (a hook runs its code once, never optimized) does fastest.
 */
export function fnv1a128(text: string): number[] {
  // Each char code a byte: ids are ASCII; anything else goes through UTF-8.
  const data = /[\u0080-\uffff]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
  // The offset basis 0x6c62272e07bb014262b821756295c58d.
  let a0 = 0xc58d, a1 = 0x6295, a2 = 0x2175, a3 = 0x62b8, a4 = 0x0142, a5 = 0x07bb, a6 = 0x272e, a7 = 0x6c62;
  for (let i = 0; i < data.length; i++) {
    a0 ^= data.charCodeAt(i);
    // h × prime (2^88 + 0x13b) mod 2^128 = h × 0x13b + (h << 88); 88 = 5 limbs + 8 bits.
    const t0 = a0 * 0x13b;
    let t1 = a1 * 0x13b, t2 = a2 * 0x13b, t3 = a3 * 0x13b, t4 = a4 * 0x13b, t5 = a5 * 0x13b, t6 = a6 * 0x13b, t7 = a7 * 0x13b;
    t5 += a0 << 8;
    t6 += a1 << 8;
    t7 += a2 << 8;
    t1 += t0 >>> 16;
    t2 += t1 >>> 16;
    t3 += t2 >>> 16;
    t4 += t3 >>> 16;
    t5 += t4 >>> 16;
    t6 += t5 >>> 16;
    t7 += t6 >>> 16;
    a0 = t0 & 0xffff;
    a1 = t1 & 0xffff;
    a2 = t2 & 0xffff;
    a3 = t3 & 0xffff;
    a4 = t4 & 0xffff;
    a5 = t5 & 0xffff;
    a6 = t6 & 0xffff;
    a7 = t7 & 0xffff;
  }
  return [a0, a1, a2, a3, a4, a5, a6, a7];
}

/** 16 bytes as a UUID string with the given version nibble and the RFC 9562 variant. */
function formatUuid(bytes: Uint8Array, version: number): string {
  bytes[6] = (bytes[6]! & 0x0f) | (version << 4);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A UUID (version 8: custom) derived from the parts: the same parts always
 * give the same id, in every process. Parts are joined with NUL, which no id
 * contains, so ("ab", "c") and ("a", "bc") differ.
 */
export function derivedEventId(kind: string, ...parts: string[]): string {
  const limbs = fnv1a128(['skillopt', kind, ...parts].join('\0'));
  // Big-endian, as the number reads: the low bits, which every input byte moves, land at the end.
  const bytes = new Uint8Array(16);
  limbs.forEach((limb, i) => {
    bytes[14 - 2 * i] = limb >>> 8;
    bytes[15 - 2 * i] = limb & 0xff;
  });
  return formatUuid(bytes, 8);
}

/**
 * A random (v4) UUID from /dev/urandom. Both node:crypto and the Web Crypto
 * global load the crypto stack on first use: ~2-3 ms on every arm and react.
 */
export async function randomEventId(): Promise<string> {
  const bytes = Buffer.alloc(16);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, bytes, 0, 16, null) !== 16) throw new Error('short read from /dev/urandom');
    } finally {
      closeSync(fd);
    }
  } catch {
    const { randomUUID } = await import('node:crypto'); // No /dev/urandom (Windows).
    return randomUUID();
  }
  return formatUuid(bytes, 4);
}

/** Deterministic when every part is a non-empty string, else random. */
export async function eventIdFor(kind: 'invoked' | 'reaction', ...parts: (string | undefined)[]): Promise<string> {
  return parts.every((p): p is string => typeof p === 'string' && p !== '') ? derivedEventId(kind, ...(parts as string[])) : randomEventId();
}
