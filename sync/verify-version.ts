// Before pull installs a version: does its signature chain verify with the
// keys this machine pinned (core/trust.ts)? One `signers` read per skill, and
// for an optimizer candidate the versions it was derived from, each checked
// first; the store's word (state, proposedBy) counts for nothing here.
import { SERVICE_SIGNER } from '../core/signing';
import { formatSkillRef } from '../core/skill-ref';
import { ownersOf, resolveKeys, versionTrust, type Trust } from '../core/trust';
import type { PinnedKeys } from '../local/pinned-keys';
import type { SkillSource, SkillVersion } from '../team/skill-source';

/**
 * How many optimizer candidates in a row (each derived from the one before)
 * a check follows back to an owner-signed version: each step is one more read.
 * An owner's push or approval starts the chain again.
 */
export const MAX_CANDIDATE_CHAIN = 20;

export interface VersionCheck {
  trust: Trust;
  /** Pins to write (first sights, signed key changes), whatever the verdict. */
  pins: PinnedKeys;
}

/** Whether `version` may be installed on this machine, with the pins `pinned` and what the store says of the skill's signers. */
export async function checkVersion(source: Pick<SkillSource, 'signers' | 'getVersion'>, version: SkillVersion, pinned: Readonly<PinnedKeys>): Promise<VersionCheck> {
  const signers = await source.signers(version);
  const { keysOf, pins, refused } = resolveKeys(pinned, signers);
  const owners = ownersOf(version, signers.owners, keysOf);

  const checked = new Map<number, Promise<Trust>>();
  const check = (v: SkillVersion, depth: number): Promise<Trust> => {
    let trust = checked.get(v.version);
    if (!trust) {
      trust = trustOf(v, depth);
      checked.set(v.version, trust);
    }
    return trust;
  };
  const trustOf = async (v: SkillVersion, depth: number): Promise<Trust> => {
    // Approved, or pushed by an owner: no base to read.
    const alone = versionTrust(v, { owners, keysOf });
    const signature = v.signature;
    if (alone.trusted || signature?.kind !== 'candidate' || signature.signer !== SERVICE_SIGNER) return alone;
    if (!(signature.from >= 1 && signature.from < v.version)) return { trusted: false, why: `v${v.version} names v${signature.from} as its base, which is not an earlier version` };
    if (depth >= MAX_CANDIDATE_CHAIN) {
      return {
        trusted: false,
        why: `v${v.version} ends more than ${MAX_CANDIDATE_CHAIN} optimizer edits in a row with no owner's push or approval between; an owner signs it as it is with \`skillopt skills sign ${formatSkillRef(v)} ${v.version}\``,
      };
    }
    const base = await source.getVersion(v, signature.from);
    if (!base) return versionTrust(v, { owners, keysOf });
    return versionTrust(v, { owners, keysOf, base: { version: base, trust: await check(base, depth + 1) } });
  };

  const trust = await check(version, 0);
  if (trust.trusted) return { trust, pins };
  // A key the store changed without the old one's signature: say so, it is the likelier story than a bad signature.
  const signer = [version.signature?.signer, version.approval?.signer].find((s): s is string => s !== undefined && Object.hasOwn(refused, s));
  if (signer === undefined) return { trust, pins };
  return {
    trust: { trusted: false, why: `${trust.why}: ${refused[signer]}; if ${signer} really changed keys, \`skillopt keys forget ${signer}\` and pull again` },
    pins,
  };
}
