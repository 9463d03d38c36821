// `skillopt push <skill-dir>`: the command's flags and output; the push itself is sync/push-folder.ts.
import type { Command } from 'commander';
import { ROLLOUT_POLICIES, type RolloutPolicy } from '../core/rollout-types';
import { pushSkill } from '../sync/push-folder';
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
  const result = await pushSkill({
    publisher: await ctx.openBackend(),
    skillDir,
    cwd: ctx.cwd,
    env: ctx.env,
    author: flags.author,
    scope: flags.scope,
    force: flags.force,
    canary: flags.canary,
    rollout: flags.rollout,
  });
  // Warnings go to stderr, one line each: the push went through, and the output stays what scripts read.
  for (const warning of result.warnings) ctx.stderr.write(`skillopt: warning: ${warning}\n`);
  // Said to a person at a terminal; `skillopt keys show` and `doctor` say it to anyone later.
  if (result.keyCreated && (ctx.stderr as Partial<NodeJS.WriteStream>).isTTY) ctx.stderr.write(`skillopt: ${result.keyCreated}\n`);
  if (flags.json) return ctx.printJson(result);
  if (result.proposal && result.status !== 'up-to-date') {
    ctx.print(`proposed ${result.ref} v${result.version}: you do not own it, so no one gets it until an owner approves it (skillopt skills approve ${result.ref} ${result.version})`);
  } else if (result.status === 'up-to-date') ctx.print(`${result.ref} is up to date at v${result.version}; nothing pushed`);
  else if (result.status === 'created') ctx.print(`pushed ${result.ref} v${result.version} (new skill)${flags.canary ? ' as a candidate for the canary cohort' : ''}`);
  else ctx.print(`pushed ${result.ref} v${result.version} (was v${result.previousVersion})${flags.canary ? ' as a candidate for the canary cohort' : ''}`);
  if (result.trial) ctx.print(result.trial);
}

export const registerPush: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('push')
    .description('publish a local skill folder (SKILL.md and every file beside it) as the next version of the shared skill <name>--<author>')
    .argument('<skill-dir>', 'folder holding SKILL.md (frontmatter `name:` is a kebab name or a full <name>--<author> ref)')
    .option('--author <author>', 'the skill\'s author (default: the ref\'s author, frontmatter `author`, $SKILLOPT_USER, then your OS user name)')
    .option('--scope <scope>', 'scope label stored with the version (default: the previous version\'s, else "org")')
    .option('--force', 'publish even if the store has versions this SKILL.md does not include (a newer pulled version, or the optimizer\'s); overwrites them')
    .option('--canary', 'publish a candidate that the canary cohort tries first; the evidence promotes or reverts it (default: everyone\'s version at once)')
    .option('--rollout <policy>', `the skill's rollout policy from now on: ${ROLLOUT_POLICIES.join(', ')} (default: SKILLOPT_ROLLOUT, else canary)`, parseRolloutPolicyFlag)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nThe whole folder is versioned: SKILL.md with its frontmatter as written, and every other file with its executable bit, ' +
        'except .git/, node_modules/, caches, editor files, *.bak and what .skilloptignore (gitignore syntax) names. ' +
        'Limits: 10 MiB a file, 50 MiB and 1,000 files a skill (SKILLOPT_MAX_FILE_MB, SKILLOPT_MAX_SKILL_MB, SKILLOPT_MAX_SKILL_FILES). ' +
        'Only contents the store lacks are uploaded; an unchanged folder publishes nothing. ' +
        "The push is signed with this machine's key (created on first push; see `skillopt keys`). " +
        "An owner's push publishes; anyone else's is a proposal that installs nowhere until an owner approves it.",
    )
    .action((skillDir: string, flags: PushFlags) => runPush(ctx, skillDir, flags));
};
