// Proposing an edit: the optimizer model sees the skill's body, its folder's
// file list and linked text files, the failure reasons and the edits tried
// before, and answers with bounded edits (each naming its file), which are
// applied here (core/edits.ts) within the budget. Runs on a failing machine,
// with tools off; past the machine's daily cap it refuses, and the lane tries
// the next failing machine.
import { ApplicationFailure } from '@temporalio/common';
import { createTwoFilesPatch } from 'diff';
import type { ModelCall } from '../agents/types';
import { summarizeEdit } from '../core/edit-memory';
import { applyFolderEdits, parseProposedEdits } from '../core/edits';
import { MAX_EDITED_FILE_BYTES } from '../core/linked-files';
import { editFingerprint } from '../core/fingerprint';
import { MAX_SKILL_BODY_BYTES } from '../core/limits';
import type { ModelCallBudget } from '../core/model-calls';
import { proposerPrompt } from '../core/prompts';
import { callModel } from './model-call';
import { FailureTypes, type SkillActivities } from './types';

export function createProposalActivities({ model, modelCalls }: { model: ModelCall; modelCalls: ModelCallBudget }): Pick<SkillActivities, 'proposeEdit'> {
  return {
    async proposeEdit(input) {
      const linked = input.linked ?? [];
      const prompt = proposerPrompt({ body: input.body, failures: input.failures, priorEdits: input.priorEdits, budget: input.budget, files: input.files ?? [], linked });
      // Past today's cap this machine cannot propose now: the lane tries the next failing machine.
      const grant = await modelCalls.take();
      if (!grant.ok) throw ApplicationFailure.nonRetryable(grant.reason, FailureTypes.DailyCapReached);
      const proposed = parseProposedEdits(await callModel(model, { role: 'proposer', ...prompt }));
      const applied = applyFolderEdits({ body: input.body, files: Object.fromEntries(linked.map((f) => [f.path, f.text])) }, proposed, { budget: input.budget });
      const editedFiles = Object.entries(applied.editedFiles).map(([path, text]) => ({ path, text }));
      const tooLarge =
        Buffer.byteLength(applied.editedBody, 'utf8') > MAX_SKILL_BODY_BYTES || editedFiles.some((f) => Buffer.byteLength(f.text, 'utf8') > MAX_EDITED_FILE_BYTES);
      return {
        changed: applied.changed && !tooLarge,
        editedBody: applied.editedBody,
        ...(editedFiles.length > 0 ? { editedFiles } : {}),
        // Only the edits that took effect: two proposals that change the body alike are the same idea.
        edits: applied.applied,
        report: tooLarge ? [...applied.report, `SKIP all: an edited text is over its limit (body ${MAX_SKILL_BODY_BYTES} bytes, a linked file ${MAX_EDITED_FILE_BYTES})`] : applied.report,
        summaries: applied.applied.map(summarizeEdit),
        fingerprint: editFingerprint(applied.applied),
        diff: [
          createTwoFilesPatch('SKILL.md', 'SKILL.md', input.body, applied.editedBody, '', '', { context: 3 }),
          ...editedFiles.map((f) => createTwoFilesPatch(f.path, f.path, linked.find((l) => l.path === f.path)?.text ?? '', f.text, '', '', { context: 3 })),
        ].join('\n'),
      };
    },
  };
}
