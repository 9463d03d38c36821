// A candidate's trial in the lane, without a server: when it starts and ends,
// what each reading of the rule does under each policy, and how a person's
// approve / reject is refused.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CANARY_SETTINGS, type CanaryDecision } from '../../core/rollout-rules';
import type { FailureReport } from '../../core/messages';
import type { CandidateRollout } from '../../core/rollout-types';
import * as lanes from '../../workflows/lane-state';
import { decisionProblem, onReading, startRollout } from '../../workflows/rollout-state';

const HOUR = 3_600_000;
const PUBLISHED = Date.parse('2026-12-01T10:00:00.000Z');

function candidate(policy: CandidateRollout['policy'] = 'canary'): CandidateRollout {
  return { version: 3, stableVersion: 2, policy, settings: { ...DEFAULT_CANARY_SETTINGS, maxHours: 10 }, since: new Date(PUBLISHED).toISOString() };
}

function reading(action: CanaryDecision['action']): CanaryDecision {
  return { action, probability: 0.5, reason: `the rule says ${action}` };
}

describe('a rollout', () => {
  it('starts its first period when the candidate was published, even when the run found it later', () => {
    expect(startRollout(candidate(), PUBLISHED + 2 * HOUR)).toMatchObject({ deadlineMs: PUBLISHED + 10 * HOUR, extended: false, awaitingApproval: false });
    // A clock behind the store's timestamp never gives a period longer than maxHours from now.
    expect(startRollout(candidate(), PUBLISHED - HOUR).deadlineMs).toBe(PUBLISHED + 9 * HOUR);
  });

  it('under approval waits for a person from the start: nobody tries it, there is nothing to measure', () => {
    expect(startRollout(candidate('approval'), PUBLISHED).awaitingApproval).toBe(true);
    expect(startRollout(candidate('canary+approval'), PUBLISHED).awaitingApproval).toBe(false);
  });

  it('wait keeps the period, extend runs one more period from now, promote and revert decide', () => {
    const r = startRollout(candidate(), PUBLISHED);
    expect(onReading(r, reading('wait'), PUBLISHED + HOUR)).toEqual({ rollout: { ...r, reading: reading('wait') }, step: { kind: 'wait' } });
    const extended = onReading(r, reading('extend'), PUBLISHED + 10 * HOUR);
    expect(extended.rollout).toMatchObject({ extended: true, deadlineMs: PUBLISHED + 20 * HOUR });
    expect(extended.step).toEqual({ kind: 'wait' });
    expect(onReading(r, reading('promote'), PUBLISHED).step).toEqual({ kind: 'decide', to: 'stable', reason: 'the rule says promote' });
    expect(onReading(r, reading('revert'), PUBLISHED).step).toEqual({ kind: 'decide', to: 'rejected', reason: 'the rule says revert' });
  });

  it('under canary+approval a concluded canary waits for a person, with its reading kept for them', () => {
    const r = startRollout(candidate('canary+approval'), PUBLISHED);
    for (const action of ['promote', 'revert'] as const) {
      const next = onReading(r, reading(action), PUBLISHED);
      expect(next.step).toEqual({ kind: 'wait' });
      expect(next.rollout).toMatchObject({ awaitingApproval: true, reading: reading(action) });
    }
  });

  it('refuses a decision on a version that is not the pending candidate, or when there is none, in one line', () => {
    const r = startRollout(candidate(), PUBLISHED);
    expect(decisionProblem('deploy--alice', r, { version: 3, action: 'approve' })).toBeUndefined();
    expect(decisionProblem('deploy--alice', r, { version: 2, action: 'approve' })).toBe('v2 is not the pending candidate of deploy--alice (v3 is)');
    expect(decisionProblem('deploy--alice', undefined, { version: 3, action: 'reject' })).toBe('deploy--alice has no pending candidate: v3 cannot be rejected');
  });
});

describe('the lane while a candidate is on trial', () => {
  const ref = { name: 'deploy', author: 'alice' };
  const report = (id: string): FailureReport => ({ invocationId: id, eventId: `e-${id}`, reason: `failed in ${id}`, user: 'bob', skillVersion: 3 });

  it('proposes nothing until the decision, keeps the failures queued, and does not go idle', () => {
    let lane = lanes.onCandidate(lanes.initialLane({ ref }), candidate(), PUBLISHED);
    lane = lanes.onFailureReport(lane, report('a'));
    expect(lanes.nextProposal(lane).batch).toBeUndefined();
    expect(lanes.idle(lanes.initialLane({ ref, carried: lanes.carried(lanes.onCandidate(lanes.initialLane({ ref }), candidate(), PUBLISHED)) }))).toBe(false);
    lane = lanes.onCandidateDecided(lane, 'rejected', 2);
    expect(lane.rollout).toBeUndefined();
    expect(lane.counters).toMatchObject({ rejections: 1, promotions: 0 });
    expect(lane.version).toBe(2);
    expect(lanes.nextProposal(lane).batch?.map((r) => r.invocationId)).toEqual(['a']);
  });

  it('a candidate found again (a retried publish, a run that reads the store) does not restart its trial', () => {
    const lane = lanes.onCandidate(lanes.initialLane({ ref }), candidate(), PUBLISHED);
    const extended = lanes.onRolloutReading(lane, reading('extend'), PUBLISHED + 10 * HOUR).lane;
    expect(lanes.onCandidate(extended, candidate(), PUBLISHED + 11 * HOUR)).toBe(extended);
  });

  it('the trial is carried across continue-as-new, and shown by the state query', () => {
    const lane = lanes.onCandidate(lanes.initialLane({ ref }), candidate(), PUBLISHED);
    const next = lanes.initialLane({ ref, carried: lanes.carried(lane) });
    expect(next.rollout).toEqual(lane.rollout);
    expect(lanes.laneState(next).rollout).toMatchObject({ version: 3, stableVersion: 2, policy: 'canary' });
  });

  it('verdict reports only count, for the trial to read the evidence again', () => {
    const lane = lanes.onVerdictRecorded(lanes.onVerdictRecorded(lanes.initialLane({ ref })));
    expect(lane.verdictReports).toBe(2);
  });
});

describe('a candidate the lane did not publish (candidatePublished)', () => {
  const ref = { name: 'deploy', author: 'alice' };
  it('is looked up in the store unless it is on trial already', () => {
    const idle = lanes.initialLane({ ref });
    expect(lanes.onCandidatePublished(idle, 3).candidateNotice).toBe(3);
    const onTrial = lanes.onCandidate(idle, candidate(), PUBLISHED);
    expect(lanes.onCandidatePublished(onTrial, 3)).toBe(onTrial);
    // Another version than the one on trial: the store says which is open now.
    expect(lanes.onCandidatePublished(onTrial, 4).candidateNotice).toBe(4);
  });

  it('the read starts its trial and answers the notice; a notice that came in during the read waits for the next one', () => {
    const noticed = lanes.onCandidatePublished(lanes.initialLane({ ref }), 3);
    const read = lanes.onCandidateLookedUp(noticed, candidate(), PUBLISHED, 3);
    expect(read.candidateNotice).toBeUndefined();
    expect(read.rollout).toMatchObject({ version: 3, deadlineMs: PUBLISHED + 10 * HOUR });
    const newer = lanes.onCandidatePublished(noticed, 4);
    expect(lanes.onCandidateLookedUp(newer, candidate(), PUBLISHED, 3).candidateNotice).toBe(4);
    // Decided before the lane read it: nothing to try, the notice is answered.
    expect(lanes.onCandidateLookedUp(noticed, undefined, PUBLISHED, 3)).toEqual(lanes.initialLane({ ref }));
  });

  it('a notice not looked up yet is carried across continue-as-new', () => {
    const noticed = lanes.onCandidatePublished(lanes.initialLane({ ref }), 3);
    expect(lanes.initialLane({ ref, carried: JSON.parse(JSON.stringify(lanes.carried(noticed))) as ReturnType<typeof lanes.carried> }).candidateNotice).toBe(3);
  });
});
