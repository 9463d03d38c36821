// `skillopt pull`: the command's flags and report; the pull itself is sync/pull-skills.ts.
import type { Command } from 'commander';
import { currentUser, userHome, skilloptHome } from '../local/home';
import { pullSkills } from '../sync/pull-skills';
import { PULL_TARGETS, type PullTarget } from '../agents/registry';
import { parsePullTargets } from './args';
import type { PullReport, PullStatus } from '../sync/pull-skills';
import type { CliContext, RegisterCommands } from './context';
import { CliError, UsageError } from './context';

const STATUS_LABEL: Record<PullStatus, [done: string, planned: string]> = {
  installed: ['installed', 'would install'],
  updated: ['updated', 'would update'],
  'up-to-date': ['up to date', 'up to date'],
  skipped: ['skipped', 'would skip'],
  failed: ['failed', 'failed'],
  refused: ['refused', 'would refuse'],
};

export function formatPullReport(report: PullReport): string[] {
  const labels = report.items.map((i) => STATUS_LABEL[i.status][report.dryRun ? 1 : 0]);
  const labelWidth = Math.max(0, ...labels.map((l) => l.length));
  const refWidth = Math.max(0, ...report.items.map((i) => i.ref.length));
  const lines = report.items.map((item, n) => {
    const was = item.status === 'updated' && item.installedVersion !== undefined ? ` (was v${item.installedVersion})` : '';
    const kept = item.kept ? `; your changes to ${item.kept.join(', ')} are kept as ${item.kept.map((k) => `${k}.bak`).join(', ')}` : '';
    const why = item.reason ? `: ${item.reason}` : kept;
    return `${labels[n]!.padEnd(labelWidth)}  ${item.ref.padEnd(refWidth)}  v${item.version}${was}${why}`;
  });
  if (report.items.length === 0) lines.push('no skills in the store yet; publish one with `skillopt push <skill-dir>`');
  const counts = (['installed', 'updated', 'up-to-date', 'skipped', 'failed', 'refused'] as const)
    .map((s) => [s, report.items.filter((i) => i.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${STATUS_LABEL[s][report.dryRun ? 1 : 0]}`);
  if (counts.length > 0) lines.push(`${report.dryRun ? 'dry run, nothing written: ' : ''}${report.root}: ${counts.join(', ')}`);
  if (report.aborted) lines.push('stopped before every skill was pulled');
  return lines;
}

interface PullFlags {
  to: string;
  agent: PullTarget[];
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

async function runPull(ctx: CliContext, flags: PullFlags): Promise<void> {
  if (flags.to !== 'user' && flags.to !== 'project') throw new UsageError(`--to must be "user" or "project", not "${flags.to}"`);
  const source = await ctx.openBackend();
  const reports: PullReport[] = [];
  // One after the other: each takes the manifest's lock, and each agent's root is its own install record.
  for (const agent of flags.agent) {
    const report = await pullSkills({
      source,
      agent,
      env: ctx.env,
      user: currentUser(ctx.env),
      scope: flags.to,
      cwd: ctx.cwd,
      home: userHome(ctx.env),
      skilloptHome: skilloptHome(ctx.env, ctx.cwd),
      force: flags.force,
      dryRun: flags.dryRun,
    });
    reports.push(report);
    if (!flags.json) for (const line of formatPullReport(report)) ctx.print(line);
  }
  if (flags.json) ctx.printJson(reports.length === 1 ? reports[0] : reports);
  // A refused version is a failure too: the machine did not get what the team has.
  const failed = reports.flatMap((r) => r.items).filter((i) => i.status === 'failed' || i.status === 'refused');
  if (failed.length > 0) {
    const first = failed[0]!;
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
    if (first.status === 'refused') throw new CliError(`refused ${first.ref} v${first.version}: ${first.reason}${more}`);
    throw new CliError(`could not install ${first.ref}: ${first.reason}${more}; its folder was left as it was`);
  }
}

export const registerPull: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('pull')
    .description('install the latest version of every shared skill as <root>/<name>--<author>/SKILL.md')
    .option('--to <where>', '"user" (the agent\'s folder under $HOME: ~/.claude/skills, $CODEX_HOME/skills, ~/.pi/agent/skills, ~/.agents/skills) or "project" (./.claude/skills, ./.codex/skills, ./.pi/skills, ./.agents/skills)', 'user')
    .option(
      '--agent <agent>',
      `whose skills folder: ${PULL_TARGETS.map((name) => `"${name}"`).join(', ')} ("agents": ~/.agents/skills, which Codex, pi and most other agents read), or "all" (Claude Code's and the agents' folder) (default: claude)`,
      parsePullTargets,
      ['claude'] as PullTarget[],
    )
    .option('--force', 'rewrite skills even when the installed version is current (folders pull did not install are still left alone)')
    .option('--dry-run', 'report what would change; write nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nEach skill is installed whole (every file of its folder) or not at all; an installed file you changed is kept as <file>.bak.\n' +
        'Installs are recorded, file by file, in $SKILLOPT_HOME/manifest.json;\n' +
        'a <name>--<author> folder that is not in it is never touched.\n' +
        'A version is installed only when its signatures verify with the keys this machine pinned\n' +
        '($SKILLOPT_HOME/pinned-keys.json, see `skillopt keys pins`): signed by an owner, approved by one,\n' +
        "or the optimizer's text-only edit of such a version. Any other is refused and the installed one stays.",
    )
    .action((flags: PullFlags) => runPull(ctx, flags));
};
