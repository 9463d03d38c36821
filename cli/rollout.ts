// `skillopt approve|reject <ref> <version>` and `skillopt skills set-rollout`:
// a person's say over a skill's candidates. Approve and reject are the `decide`
// update on the skill's lane (it owns the candidate), from any machine.
import type { Command } from 'commander';
import { ROLLOUT_POLICIES, type PrecheckSetting, type RolloutPolicy } from '../core/rollout-types';
import { formatSkillRef, parseSkillRef } from '../core/skill-ref';
import { currentUser } from '../local/home';
import { signingKeyFor } from '../local/signing-key';
import { rolloutSigned } from '../team/signed-changes';
import { signedDecision } from '../team/signed-requests';
import { parseCount, parseHours, parsePercent, parsePrecheckFlag, parseRolloutPolicyFlag, parseVersionNumber } from './args';
import type { CliContext, RegisterCommands } from './context';

async function decide(ctx: CliContext, action: 'approve' | 'reject', refText: string, version: number, flags: { reason?: string; json?: boolean }): Promise<void> {
  const ref = parseSkillRef(refText);
  const by = currentUser(ctx.env);
  const backend = await ctx.openBackend();
  const request = await signedDecision(backend, ref, { version, action, by, ...(flags.reason ? { reason: flags.reason } : {}) }, await signingKeyFor(ctx.env));
  const decided = await backend.decide(ref, request);
  if (flags.json) return ctx.printJson({ ref: formatSkillRef(ref), ...decided, decidedBy: by });
  ctx.print(
    decided.state === 'stable'
      ? `${formatSkillRef(ref)} v${decided.version} is stable: everyone gets it at their next session`
      : `${formatSkillRef(ref)} v${decided.version} is rejected: the cohort is back on the stable version at its next session`,
  );
}

interface CanaryFlags {
  percent?: number;
  minJudged?: number;
  maxHours?: number;
}

type SetRolloutFlags = CanaryFlags & { precheck?: PrecheckSetting };

async function setRollout(ctx: CliContext, refText: string, policy: RolloutPolicy, flags: SetRolloutFlags): Promise<void> {
  const ref = parseSkillRef(refText);
  const by = currentUser(ctx.env);
  const { precheck, ...canaryFlags } = flags;
  const canary = Object.fromEntries(Object.entries(canaryFlags).filter(([, value]) => value !== undefined)) as CanaryFlags;
  const overrides = Object.keys(canary).length > 0 ? canary : undefined;
  const at = new Date().toISOString();
  const change = { policy, ...(overrides ? { canary: overrides } : {}), ...(precheck ? { precheck } : {}), at };
  const signature = (await signingKeyFor(ctx.env)).sign(rolloutSigned(ref, change), by);
  await (await ctx.openBackend()).setRollout(ref, { ...change, by, signature });
  const own = overrides ? `; its own canary settings: ${Object.entries(overrides).map(([k, v]) => `${k} ${v}`).join(', ')}` : "; the team's canary settings";
  const check = precheck ? `; pre-publish check ${precheck} (its own)` : "; the team's pre-publish check";
  ctx.print(`${formatSkillRef(ref)}: rollout policy ${policy}${own}${check} (its next candidate follows them)`);
}

export const registerRollout: RegisterCommands = (program: Command, ctx: CliContext) => {
  for (const action of ['approve', 'reject'] as const) {
    const command = program
      .command(action)
      .description(
        action === 'approve'
          ? "make a skill's pending candidate the stable version, everyone's"
          : "reject a skill's pending candidate: the cohort goes back to the stable version",
      )
      .argument('<ref>', 'the skill, as <name>--<author>')
      .argument('<version>', 'the candidate version (see `skillopt skills history <ref>`)', parseVersionNumber);
    if (action === 'reject') command.option('--reason <text>', 'why, kept with the version and shown to the proposer');
    command.option('--json', 'print the result as JSON').action((ref: string, version: number, flags: { reason?: string; json?: boolean }) => decide(ctx, action, ref, version, flags));
  }
};

/** `skills set-rollout`, registered under the `skills` group. */
export function registerSetRollout(skills: Command, ctx: CliContext): void {
  skills
    .command('set-rollout')
    .description(`how a skill's candidates become stable: ${ROLLOUT_POLICIES.join(', ')}`)
    .argument('<ref>', 'the skill, as <name>--<author>')
    .argument('<policy>', 'canary (the evidence decides), approval (a person does), canary+approval, or direct (at once)', parseRolloutPolicyFlag)
    .option('--percent <n>', "this skill's canary cohort, percent of users (default: the worker's SKILLOPT_CANARY_PERCENT)", parsePercent)
    .option('--min-judged <n>', 'judged invocations of each version before the evidence decides (SKILLOPT_CANARY_MIN_JUDGED)', parseCount)
    .option('--max-hours <h>', 'longest canary period, hours (SKILLOPT_CANARY_MAX_HOURS)', parseHours)
    .option('--precheck <on|off>', "check each edit on held-out evidence before anyone gets it (default: the worker's SKILLOPT_PRECHECK, on)", parsePrecheckFlag)
    .action((ref: string, policy: RolloutPolicy, flags: SetRolloutFlags) => setRollout(ctx, ref, policy, flags));
}
