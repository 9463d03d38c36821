// The public keys this machine pinned, in $SKILLOPT_HOME/pinned-keys.json
// (user → 64 hex digits, and core/trust's ADMIN_PIN for the team's admin key):
// a person's key as this machine first saw it, or as a change signed by the
// key before it moved it on (core/trust resolveKeys decides; pull writes). A
// key the store changes without such a signature is refused, so the file must
// never be rewritten quietly: a damaged one is a one-line error, not an empty
// set of pins (that would trust every key again on first sight).
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { atomicWriteFile, readTextIfExists } from './fs';
import { withFileLock } from './process-lock';

export const PINNED_KEYS_FILE = 'pinned-keys.json';

const HEX_KEY = /^[0-9a-f]{64}$/;

export type PinnedKeys = Record<string, string>;

/** The pins file cannot be read or holds something other than pins: one line, with what to do. */
export class PinnedKeysError extends Error {
  override readonly name = 'PinnedKeysError';
}

export function pinnedKeysPath(skilloptHome: string): string {
  return join(skilloptHome, PINNED_KEYS_FILE);
}

function parsePins(path: string, text: string): PinnedKeys {
  const damaged = (why: string) =>
    new PinnedKeysError(`${path} ${why}; restore it from a backup, or move it away to pin every key again on first sight (\`skillopt keys pins\` lists them)`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damaged('is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw damaged('is not a map of user names to keys');
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [user, key] of entries) {
    if (user === '' || typeof key !== 'string' || !HEX_KEY.test(key)) throw damaged(`holds a pin for "${user}" that is not an ed25519 public key`);
  }
  // Own properties, whatever the user names (a "__proto__" assigned would be lost).
  return Object.fromEntries(entries) as PinnedKeys;
}

/** The pins, {} when none were written yet. */
export async function readPinnedKeys(skilloptHome: string): Promise<PinnedKeys> {
  const path = pinnedKeysPath(skilloptHome);
  let text: string | undefined;
  try {
    text = await readTextIfExists(path);
  } catch (err) {
    throw new PinnedKeysError(`cannot read ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  return text === undefined ? {} : parsePins(path, text);
}

function serialize(pins: PinnedKeys): string {
  const sorted = Object.fromEntries(Object.entries(pins).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/** Read, change and write under the file's lock: `keys forget` and a pull may run at once. */
async function updatePins<T>(skilloptHome: string, change: (pins: PinnedKeys) => { pins: PinnedKeys; result: T } | undefined): Promise<T | undefined> {
  const path = pinnedKeysPath(skilloptHome);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return withFileLock(`${path}.lock`, async () => {
    const changed = change(await readPinnedKeys(skilloptHome));
    if (!changed) return undefined;
    await atomicWriteFile(path, serialize(changed.pins), 0o600);
    return changed.result;
  });
}

/** Writes `pins` over the file's (resolveKeys returns only first sights and signed changes); nothing when there are none. */
export async function addPins(skilloptHome: string, pins: Readonly<PinnedKeys>): Promise<void> {
  const entries = Object.entries(pins);
  if (entries.length === 0) return;
  for (const [user, key] of entries) {
    if (user === '' || !HEX_KEY.test(key)) throw new PinnedKeysError(`refusing to pin "${user}": not an ed25519 public key`);
  }
  await updatePins(skilloptHome, (current) => {
    if (entries.every(([user, key]) => Object.hasOwn(current, user) && current[user] === key)) return undefined;
    return { pins: { ...current, ...pins }, result: undefined };
  });
}

/** Drops `user`'s pin: the next pull pins whatever key the team has for them. Returns the key that was pinned, if any. */
export async function forgetPin(skilloptHome: string, user: string): Promise<string | undefined> {
  return updatePins(skilloptHome, (current) => {
    if (!Object.hasOwn(current, user)) return undefined;
    return { pins: Object.fromEntries(Object.entries(current).filter(([u]) => u !== user)), result: current[user] };
  });
}
