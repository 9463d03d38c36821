// Requests a person signs before they are sent, shared by the CLI and the
// dashboard (each signs with this machine's key as its user).
import type { CandidateDecision } from '../core/messages';
import { formatSkillRef, type SkillRef } from '../core/skill-ref';
import { treeHash, type Signer } from '../core/signing';
import type { SkillSource } from './skill-source';

/** An approve or reject, signed over the version's tree as read now (an unknown version signs a tree of zeros: the lane says why it is refused). */
export async function signedDecision(source: Pick<SkillSource, 'getVersion'>, ref: SkillRef, decision: Omit<CandidateDecision, 'tree' | 'signature'>, key: Signer): Promise<CandidateDecision> {
  const record = await source.getVersion(ref, decision.version);
  const tree = record ? treeHash(record) : '0'.repeat(64);
  const signature = key.sign({ kind: 'decide', ref: formatSkillRef(ref), version: decision.version, tree, action: decision.action }, decision.by);
  return { ...decision, tree, signature };
}
