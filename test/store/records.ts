// Rows the store tests publish and record, and the one-line rejection check.
import { expect } from 'vitest';
import type { SkillRef } from '../../core/skill-ref';
import type { NewSkillVersion, VerdictRecord } from '../../store/open-store';

export function newVersion(ref: SkillRef, baseVersion: number, extra: Partial<NewSkillVersion> = {}): NewSkillVersion {
  return {
    ...ref,
    body: `# ${ref.name}\n\nversion ${baseVersion + 1}\n`,
    description: `does ${ref.name}`,
    contributors: [ref.author],
    createdBy: ref.author,
    baseVersion,
    ...extra,
  };
}

export function verdict(ref: SkillRef, eventId: string, extra: Partial<VerdictRecord> = {}): VerdictRecord {
  return {
    ...ref,
    skillVersion: 1,
    sessionId: 'session-1',
    toolUseId: 'toolu_01',
    eventId,
    outcome: 'failed',
    confidence: 0.7,
    reason: 'the user said the deploy went to the wrong cluster',
    agent: 'claude-code',
    user: 'alice',
    ...extra,
  };
}

export async function expectOneLineRejection<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).not.toContain('\n');
  return err as E;
}
