// The activities: every side effect of the two workflows, one module per
// concern, put together here. Built by factories that take their clients, so
// tests and the worker pass real ones in.
import type { Client } from '@temporalio/client';
import type { ModelCall } from '../agents/types';
import type { ModelCallBudget } from '../core/model-calls';
import { requireRolloutDefaults } from '../core/rollout-rules';
import type { RolloutDefaults } from '../core/rollout-types';
import type { Store } from '../store/types';
import { createFailureReportActivities } from './failure-reports';
import { createJudgmentActivities, type JudgmentDeps } from './judgment';
import { createProposalActivities } from './proposal';
import { createPublishingActivities } from './publishing';
import { createRolloutActivities } from './rollout-decisions';
import { createTeamRequestActivities } from './team-requests';
import type { ModelActivities, ServiceSigner, SkillActivities } from './types';
import { createVerdictActivities } from './verdicts';

export { readTranscriptWindow } from './transcript-file';

/** What judge and propose need: they run on the machine whose session reacted. */
export type ModelActivityDeps = JudgmentDeps;

export interface ActivityDeps {
  model: ModelCall;
  transcriptRoots: readonly string[];
  modelCalls: ModelCallBudget;
  store: Store;
  /** Reports failures to skill lanes (signal-with-start). */
  client: Client;
  /** The team's rollout policy and canary settings; default: SKILLOPT_ROLLOUT and SKILLOPT_CANARY_* of this process. */
  rollout?: RolloutDefaults;
  /** The central worker's service key: signs the optimizer's candidates and the canary's decisions. */
  serviceKey: ServiceSigner;
}

/**
 * judgeReaction and proposeEdit: what runs on the machine whose session reacted
 * (its transcript, its agent CLI). No store, no client: a teammate's on-demand
 * worker registers only these.
 */
export function createModelActivities(deps: ModelActivityDeps): ModelActivities {
  return { ...createJudgmentActivities(deps), ...createProposalActivities(deps) };
}

export function createActivities({ store, model, client, transcriptRoots, modelCalls, serviceKey, rollout = requireRolloutDefaults(process.env) }: ActivityDeps): SkillActivities {
  return {
    ...createModelActivities({ model, transcriptRoots, modelCalls, verdictForEvent: (eventId) => store.verdictForEvent(eventId) }),
    ...createVerdictActivities(store, client),
    ...createFailureReportActivities(client),
    ...createPublishingActivities(store, rollout, serviceKey),
    ...createRolloutActivities(store, serviceKey),
    ...createTeamRequestActivities(store, rollout),
  };
}
