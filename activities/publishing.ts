// The lane's side of an improvement in the store: what the skill is now, the
// version a proposal improves (with the edits tried before), the publish of the
// edited version (a candidate, or everyone's under the policy direct;
// idempotent, refusing an edit set tried before, a lost race said as a
// conflict), and the edit remembered.
import { ApplicationFailure } from '@temporalio/common';
import { priorEditLines } from '../core/edit-memory';
import { MAX_PRIOR_EDIT_SUMMARIES, OPTIMIZER_NAME } from '../core/limits';
import type { RolloutDefaults } from '../core/rollout-types';
import { formatSkillRef } from '../core/skill-ref';
import { treeFileOf } from '../core/content-hash';
import { linkedTextFiles } from '../core/linked-files';
import { SERVICE_SIGNER, treeHash } from '../core/signing';
import { fileChunks, type TreeFile } from '../core/skill-tree';
import { serviceEditProblem } from '../core/trust';
import { VersionConflictError, type ContentStore, type EditStore, type RolloutStore, type SkillVersion, type VerdictStore, type VersionStore } from '../store/types';
import { effectiveRollout } from '../team/rollout-choice';
import { failFastOnBadInput } from './bad-input';
import { candidateRollout } from './rollout-decisions';
import { FailureTypes, type LinkedText, type ServiceSigner, type SkillActivities } from './types';
import { cutText } from '../core/text';
import { MAX_REJECTION_REASON_CHARS, precheckSummary, type CheckOutcome } from '../core/precheck';

type PublishingActivities = Pick<SkillActivities, 'describeSkill' | 'readSkill' | 'publishSkill' | 'recordEdit' | 'precheckEvidence'>;
type PublishingStore = VersionStore & RolloutStore & EditStore & ContentStore & Pick<VerdictStore, 'heldOutPasses'>;

/** The linked text files of a version, read from the store (a file that is not UTF-8 is left out: it is no text to edit). */
async function linkedTexts(store: ContentStore, version: SkillVersion): Promise<LinkedText[]> {
  const linked = linkedTextFiles(version.body, version.files);
  const chunks = await store.getContents(linked.flatMap(fileChunks));
  const texts: LinkedText[] = [];
  for (const file of linked) {
    const parts = fileChunks(file).map((h) => chunks.get(h));
    if (parts.some((p) => p === undefined)) continue;
    try {
      texts.push({ path: file.path, text: new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(parts as Uint8Array[])) });
    } catch {
      // Not UTF-8.
    }
  }
  return texts;
}

/**
 * The candidate's tree: the base's, with each edited linked file's new content
 * (stored first). Only a file the optimizer was shown may change: anything
 * else (a script, a binary, a new path) is refused.
 */
async function editedTree(store: ContentStore, base: SkillVersion, edited: readonly LinkedText[]): Promise<TreeFile[]> {
  const editable = new Set(linkedTextFiles(base.body, base.files).map((f) => f.path));
  const byPath = new Map(base.files.map((f) => [f.path, f]));
  for (const { path, text } of edited) {
    const file = byPath.get(path);
    if (!file || !editable.has(path)) {
      throw ApplicationFailure.nonRetryable(`${formatSkillRef(base)}: the proposal edits ${path}, which is not a linked text file of v${base.version}`, FailureTypes.InvalidInput);
    }
    const bytes = Buffer.from(text, 'utf8');
    const next = treeFileOf(path, bytes, file.executable);
    await store.putContents([{ hash: next.hash, data: bytes }]);
    byPath.set(path, next);
  }
  return [...byPath.values()];
}

/** Who turns a version down before anyone gets it, in its transition. */
export const PRECHECK_DECIDER = 'the pre-publish check';

export function createPublishingActivities(
  store: PublishingStore,
  rollout: RolloutDefaults,
  serviceKey: ServiceSigner,
): PublishingActivities {
  return {
    async describeSkill(ref) {
      const [latest, edits, candidate] = await Promise.all([store.latestVersion(ref), store.editStats(ref), candidateRollout(store, ref, rollout)]);
      return { version: latest?.version, improvementsPublished: edits.published, ...(candidate ? { candidate } : {}) };
    },

    async readSkill(ref) {
      // Proposals improve what everyone has: the stable version (a skill pushed only as a candidate: that one).
      const latest = (await store.stableVersion(ref)) ?? (await store.latestVersion(ref));
      if (!latest) throw ApplicationFailure.nonRetryable(`skill ${formatSkillRef(ref)} is not in the store`, FailureTypes.UnknownSkill);
      const [edits, linked, { precheck }] = await Promise.all([store.recentEdits(ref, MAX_PRIOR_EDIT_SUMMARIES), linkedTexts(store, latest), effectiveRollout(store, ref, rollout)]);
      return {
        version: latest.version,
        body: latest.body,
        description: latest.description,
        priorEdits: priorEditLines(edits),
        files: latest.files.map(({ path, size }) => ({ path, size })),
        linked,
        // The skill's own setting, else the team's: checked before it is published, against this many held-out passes.
        ...(precheck.on ? { precheck: { heldOut: precheck.heldOut } } : {}),
      };
    },

    async precheckEvidence({ ref, version, limit, excludeEventIds }) {
      const passes = await failFastOnBadInput(() => store.heldOutPasses(ref, version, limit, excludeEventIds));
      return passes.flatMap((p) => (p.evidence ? [p.evidence] : []));
    },

    async publishSkill(input) {
      return failFastOnBadInput(async () => {
        // Edit memory is in the shared store: no machine publishes an edit set tried before.
        if (await store.hasEditFingerprint(input.ref, input.fingerprint)) return { status: 'duplicate' as const };
        const base = await store.getVersion(input.ref, input.baseVersion);
        if (!base) throw ApplicationFailure.nonRetryable(`skill ${formatSkillRef(input.ref)} v${input.baseVersion} is not in the store`, FailureTypes.UnknownSkill);
        const { policy } = await effectiveRollout(store, input.ref, rollout);
        const rejected = input.precheck?.decision === 'reject';
        // The optimizer edits the body and linked text files; every other part of the folder carries over as it was.
        const files = input.editedFiles ? await editedTree(store, base, input.editedFiles) : base.files;
        const edited = { frontmatter: base.frontmatter, body: input.body, files };
        // Never signed: a candidate that changes more than the optimizer may (every machine would refuse it anyway).
        const beyond = serviceEditProblem(base, edited);
        if (beyond) throw ApplicationFailure.nonRetryable(`${formatSkillRef(input.ref)}: the candidate is refused: ${beyond}`, FailureTypes.InvalidInput);
        // Signed as the number it takes: the next after the highest (a racing publish makes it a conflict, proposed again).
        const number = ((await store.latestVersion(input.ref))?.version ?? 0) + 1;
        const signature = serviceKey.sign({ kind: 'candidate', ref: formatSkillRef(input.ref), tree: treeHash(edited), version: number, from: base.version }, SERVICE_SIGNER);
        try {
          const { version } = await store.publishVersion({
            name: input.ref.name,
            author: input.ref.author,
            description: base.description,
            ...edited,
            signature: { ...signature, kind: 'candidate', from: base.version },
            signedVersion: number,
            scope: base.scope,
            contributors: [...new Set([...base.contributors, OPTIMIZER_NAME])],
            createdBy: OPTIMIZER_NAME,
            idempotencyKey: input.idempotencyKey,
            baseVersion: input.baseVersion,
            // Turned down by the pre-publish check: recorded, given to nobody. Policy direct: everyone's version at
            // once, as the original did; else a candidate on trial.
            ...(rejected ? { state: 'rejected' as const, decidedBy: PRECHECK_DECIDER } : { state: policy === 'direct' ? ('stable' as const) : ('candidate' as const) }),
            reason: publishReason(input.precheck),
            ...(input.precheck ? { precheck: input.precheck } : {}),
          });
          if (rejected) return { status: 'rejected' as const, version: version.version };
          const candidate = version.state === 'candidate' ? await candidateRollout(store, input.ref, rollout, version) : undefined;
          return { status: 'published' as const, version: version.version, ...(candidate ? { candidate } : {}) };
        } catch (err) {
          if (!(err instanceof VersionConflictError)) throw err;
          const latest = await store.latestVersion(input.ref);
          return { status: 'conflict' as const, latestVersion: latest?.version ?? input.baseVersion + 1 };
        }
      });
    },

    async recordEdit({ ref, ...edit }) {
      // The store's recordEdit is idempotent per published version: a retry returns the row already written.
      await failFastOnBadInput(() => store.recordEdit({ name: ref.name, author: ref.author, ...edit }));
    },
  };
}

/** The version's transition reason: where it came from, and what the pre-publish check said. */
function publishReason(precheck: CheckOutcome | undefined): string {
  if (!precheck) return 'proposed from failure reports';
  const summary = precheckSummary(precheck);
  if (precheck.decision === 'reject') return cutText(`turned down before anyone got it (${summary}): ${precheck.reasons.join('; ')}`, MAX_REJECTION_REASON_CHARS);
  return `proposed from failure reports; pre-publish check: ${summary}${precheck.decision === 'unchecked' ? ' (nothing answered: unchecked)' : ''}`;
}
