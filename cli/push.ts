// `skillopt push <skill-dir>`: the command's flags and output; the push itself is sync/push.ts.
import type { Command } from 'commander';
import { ROLLOUT_POLICIES, type RolloutPolicy } from '../core/rollout-types';
import { describeError } from '../core/describe-error';
import { machineMode } from '../local/mode';
import { skilloptHome } from '../local/home';
import { runningUp } from '../local/run-lock';
import { tellLaneOfCandidate } from '../sync/candidate-notice';
import { pushSkill, type PushResult } from '../sync/push';
import { parseRolloutPolicyFlag } from './args';
import type { CliContext, RegisterCommands } from './context';

interface PushFlags {
  author?: string;
  scope?: string;
  force?: boolean;
  canary?: boolean;
  rollout?: RolloutPolicy;
  json?: boolean;
}

async function runPush(ctx: CliContext, skillDir: string, flags: PushFlags): Promise<void> {
  const publisher = await ctx.openPublisher();
  const result = await pushSkill({
    publisher,
    skillDir,
    cwd: ctx.cwd,
    env: ctx.env,
    author: flags.author,
    scope: flags.scope,
    force: flags.force,
    canary: flags.canary,
    rollout: flags.rollout,
  });
  const trial = flags.canary && result.status !== 'up-to-date' ? await startTrial(ctx, result) : undefined;
  if (flags.json) return ctx.printJson(trial === undefined ? result : { ...result, trial });
  if (result.status === 'up-to-date') ctx.print(`${result.ref} is up to date at v${result.version}; nothing pushed`);
  else if (result.status === 'created') ctx.print(`pushed ${result.ref} v${result.version} (new skill)${flags.canary ? ' as a candidate for the canary cohort' : ''}`);
  else ctx.print(`pushed ${result.ref} v${result.version} (was v${result.previousVersion})${flags.canary ? ' as a candidate for the canary cohort' : ''}`);
  if (trial) ctx.print(trial);
}

/**
 * A candidate written straight to the store (embedded or central mode) is one its
 * lane did not publish: the lane is told, and its trial starts now. On a teammate
 * machine the push went through the lane. Returns what to say, when there is something.
 */
async function startTrial(ctx: CliContext, result: PushResult): Promise<string | undefined> {
  const { mode } = machineMode(ctx.env);
  if (mode === 'teammate') return undefined;
  if (mode === 'embedded' && runningUp(skilloptHome(ctx.env, ctx.cwd)) === undefined) {
    return 'skillopt up is not running: the canary trial starts when it does';
  }
  try {
    const team = await ctx.openTeam();
    await tellLaneOfCandidate(team.client, team.taskQueue, { name: result.name, author: result.author }, result.version);
    return 'its lane has started the canary trial';
  } catch (err) {
    return `its lane could not be told (${describeError(err)}); the canary trial starts with the candidate's first verdict`;
  }
}

export const registerPush: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('push')
    .description('publish a local skill folder (its SKILL.md) as the next version of the shared skill <name>--<author>')
    .argument('<skill-dir>', 'folder holding SKILL.md (frontmatter `name:` is a kebab name or a full <name>--<author> ref)')
    .option('--author <author>', 'the skill\'s author (default: the ref\'s author, frontmatter `author`, $SKILLOPT_USER, then your OS user name)')
    .option('--scope <scope>', 'scope label stored with the version (default: the previous version\'s, else "org")')
    .option('--force', 'publish even if the store has versions this SKILL.md does not include (a newer pulled version, or the optimizer\'s); overwrites them')
    .option('--canary', 'publish a candidate that the canary cohort tries first; the evidence promotes or reverts it (default: everyone\'s version at once)')
    .option('--rollout <policy>', `the skill's rollout policy from now on: ${ROLLOUT_POLICIES.join(', ')} (default: SKILLOPT_ROLLOUT, else canary)`, parseRolloutPolicyFlag)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nThe frontmatter is metadata: only the body and the description are versioned. Unchanged content publishes nothing.')
    .action((skillDir: string, flags: PushFlags) => runPush(ctx, skillDir, flags));
};
