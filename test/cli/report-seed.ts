// A skill whose versions went through every state, with sessions, verdicts and
// edits behind them: what the report tests read (the CLI's own store, and the
// central worker's store in team mode).
import type { SkillRef } from '../../core/skill-ref';
import type { Store } from '../../store/types';

/** The canary's promote reason as the lane writes it. */
export const PROMOTE_REASON = 'candidate v2 2/2 passed vs stable v1 1/2: P(candidate ≥ stable) = 0.80 ≥ 0.8: promote';
export const REVERT_REASON = 'candidate v3 0/3 passed vs stable v2 2/3: P(stable > candidate) = 0.94 ≥ 0.8: revert';
/** What the pre-publish check said of v4: it went on with one machine not answering. */
export const V4_CHECK = { decision: 'go-on' as const, addressed: 1, failures: 1, worse: 0, passes: 2, unanswered: 1, reasons: [] };

/**
 * deploy--<author>: v1 retired (pushed by the author), v2 stable (a promoted
 * candidate), v3 rejected (a reverted one), v4 the candidate on trial; policy
 * canary+approval. lint--<author>: v1 stable, never used. Counts, per version:
 *
 *   v4  sessions 2 (alice)                        judged 2, passed 2
 *   v3  sessions 3 (carol)                        judged 3, passed 0
 *   v2  sessions 5 (alice, bob, carol, dave, erin) judged 3, passed 2 (bob's two verdicts are one failed invocation; dave's is not-judged)
 *   v1  sessions 2 (alice, bob)                   judged 2, passed 1
 */
export async function seedReportStore(store: Store, author: string): Promise<{ deploy: SkillRef; lint: SkillRef }> {
  const deploy = { name: 'deploy', author };
  const lint = { name: 'lint', author };
  const base = { description: 'Use when deploying', contributors: [author], scope: 'org' };
  await store.publishVersion({ ...deploy, ...base, body: '# Deploy\n\n1. Ship.\n', createdBy: author, baseVersion: 0 });
  await store.publishVersion({ ...lint, ...base, description: 'Use when linting', body: '# Lint\n', createdBy: author, baseVersion: 0 });

  await store.publishVersion({ ...deploy, ...base, body: '# Deploy\n\n1. Test.\n2. Ship.\n', createdBy: 'skillopt', baseVersion: 1, state: 'candidate', reason: 'proposed from failure reports' });
  await store.recordEdit({ ...deploy, fingerprint: `fp-${author}-2`, summaries: ['add "1. Test." before "Ship"'], edits: [], baseVersion: 1, publishedVersion: 2 });
  await store.setVersionState(deploy, 2, 'stable', { decidedBy: 'skillopt', reason: PROMOTE_REASON, expectedFrom: 'candidate' });
  await store.resolveEdit(deploy, 2, 'applied');

  await store.publishVersion({ ...deploy, ...base, body: '# Deploy\n\n1. Ship first.\n', createdBy: 'skillopt', baseVersion: 2, state: 'candidate', reason: 'proposed from failure reports' });
  await store.recordEdit({ ...deploy, fingerprint: `fp-${author}-3`, summaries: ['delete "1. Test."', 'replace "Ship" with "Ship first"'], edits: [], baseVersion: 2, publishedVersion: 3 });
  await store.setVersionState(deploy, 3, 'rejected', { decidedBy: 'skillopt', reason: REVERT_REASON, expectedFrom: 'candidate' });
  await store.resolveEdit(deploy, 3, 'reverted');

  await store.publishVersion({ ...deploy, ...base, body: '# Deploy\n\n1. Test.\n2. Tag.\n3. Ship.\n', createdBy: 'skillopt', baseVersion: 2, state: 'candidate', reason: 'proposed from failure reports', precheck: V4_CHECK });
  await store.recordEdit({ ...deploy, fingerprint: `fp-${author}-4`, summaries: ['add "2. Tag." after "1. Test."'], edits: [], baseVersion: 2, publishedVersion: 4 });
  await store.setRolloutSettings(deploy, { policy: 'canary+approval', precheck: 'on', updatedBy: author });

  const sessions: [string, string, number][] = [
    ['s1', 'alice', 1],
    ['s2', 'bob', 1],
    ['s3', 'alice', 2],
    ['s4', 'bob', 2],
    ['s5', 'carol', 2],
    ['s6', 'dave', 2],
    ['s12', 'erin', 2],
    ['s7', 'carol', 3],
    ['s8', 'carol', 3],
    ['s9', 'carol', 3],
    ['s10', 'alice', 4],
    ['s11', 'alice', 4],
  ];
  for (const [session, user, version] of sessions) {
    await store.recordAttribution({ sessionId: `${author}-${session}`, user, cwd: '/work', agent: 'claude-code', abBucket: 3, skills: [{ ...deploy, version }, { ...lint, version: 0 }] });
  }
  const verdicts: [string, string, number, 'passed' | 'failed' | 'not-judged'][] = [
    ['s1', 'alice', 1, 'passed'],
    ['s2', 'bob', 1, 'failed'],
    ['s3', 'alice', 2, 'passed'],
    ['s4', 'bob', 2, 'passed'],
    ['s4', 'bob', 2, 'failed'],
    ['s5', 'carol', 2, 'passed'],
    ['s6', 'dave', 2, 'not-judged'],
    ['s7', 'carol', 3, 'failed'],
    ['s8', 'carol', 3, 'failed'],
    ['s9', 'carol', 3, 'failed'],
    ['s10', 'alice', 4, 'passed'],
    ['s11', 'alice', 4, 'passed'],
  ];
  let n = 0;
  for (const [session, user, skillVersion, outcome] of verdicts) {
    await store.recordVerdict({
      ...deploy,
      skillVersion,
      sessionId: `${author}-${session}`,
      toolUseId: `toolu-${session}`,
      eventId: `${author}-event-${n++}`,
      outcome,
      confidence: 0.9,
      reason: `${outcome} for ${user}`,
      agent: 'claude-code',
      user,
    });
  }
  return { deploy, lint };
}
