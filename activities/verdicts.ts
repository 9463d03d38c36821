// A judged reaction's verdict, into the store: one per event (a redelivered
// event is never judged twice), then the lane of a skill with a candidate on
// trial is told, since every verdict on it is evidence.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { VerdictStore, VersionStore } from '../store/types';
import { failFastOnBadInput } from './bad-input';
import { notJudged } from './judgment';
import { tellLaneOfVerdict } from './rollout-decisions';
import type { SkillActivities } from './types';

export function createVerdictActivities(store: VerdictStore & Pick<VersionStore, 'candidateVersion'>, client: Client): Pick<SkillActivities, 'alreadyJudged' | 'recordVerdict'> {
  return {
    async alreadyJudged(eventId) {
      const recorded = await failFastOnBadInput(() => store.verdictForEvent(eventId));
      return recorded ? notJudged(`already judged: ${recorded.reason}`) : undefined;
    },

    async recordVerdict({ ref, invocation, eventId, verdict, reaction }) {
      await failFastOnBadInput(() =>
        store.recordVerdict({
          name: ref.name,
          author: ref.author,
          skillVersion: invocation.skillVersion ?? 0,
          sessionId: invocation.sessionId,
          toolUseId: invocation.toolUseId,
          eventId,
          outcome: verdict.outcome,
          confidence: verdict.confidence,
          reason: verdict.reason,
          agent: invocation.agent,
          user: invocation.user,
          // Where a passing window is: the held-out evidence a later edit is checked against (core/precheck.ts).
          ...(verdict.outcome === 'passed' && reaction ? { evidence: { invocation, reaction } } : {}),
        }),
      );
      // The lane runs on the queue this activity runs on: the workflows' own.
      await tellLaneOfVerdict(store, client, ref, Context.current().info.taskQueue, { version: invocation.skillVersion ?? 0, outcome: verdict.outcome });
    },
  };
}
