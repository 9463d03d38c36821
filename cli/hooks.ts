// `skillopt hooks install|uninstall [--scope user|project]`; cli/hooks-install.ts
// edits the settings. (`skillopt hook <Event>`, what Claude Code runs, never
// reaches the CLI: it runs dist/hook.cjs.)
import type { Command } from 'commander';
import { userHome } from '../local/home';
import type { CliContext, RegisterCommands } from './context';
import { UsageError } from './context';
import { HOOK_EVENTS, installHooks, uninstallHooks, type HookScope } from './hooks-install';

function parseScope(value: string): HookScope {
  if (value !== 'user' && value !== 'project') throw new UsageError(`--scope must be "user" or "project", not "${value}"`);
  return value;
}

function where(ctx: Pick<CliContext, 'env' | 'cwd'>, scope: HookScope) {
  return { scope, home: userHome(ctx.env), cwd: ctx.cwd };
}

export const registerHookCommands: RegisterCommands = (program: Command, ctx: CliContext) => {
  const hooks = program.command('hooks').description("add or remove skillopt's Claude Code hooks");
  hooks
    .command('install')
    .description(`add skillopt's hooks (${HOOK_EVENTS.join(', ')}) to Claude Code's settings.json, keeping everything else`)
    .option('--scope <scope>', '"user" ($HOME/.claude/settings.json) or "project" (./.claude/settings.json)', 'user')
    .action(async (flags: { scope: string }) => {
      const result = await installHooks(where(ctx, parseScope(flags.scope)));
      ctx.print(
        result.written
          ? `installed skillopt hooks (${result.changed.join(', ')}) in ${result.settingsPath}`
          : `skillopt hooks already installed in ${result.settingsPath}`,
      );
      if (result.alsoInstalledIn) {
        // Claude Code runs both sets when their commands differ; the hooks count each event once, but every hook runs twice.
        const other = flags.scope === 'user' ? 'project' : 'user';
        ctx.stderr.write(
          `skillopt: warning: ${result.alsoInstalledIn} has skillopt hooks too, so Claude Code may run each hook twice; remove one set with \`skillopt hooks uninstall --scope ${other}\`\n`,
        );
      }
    });
  hooks
    .command('uninstall')
    .description("remove skillopt's hooks from Claude Code's settings.json, and nothing else")
    .option('--scope <scope>', '"user" or "project"', 'user')
    .action(async (flags: { scope: string }) => {
      const result = await uninstallHooks(where(ctx, parseScope(flags.scope)));
      ctx.print(
        result.written
          ? `removed skillopt hooks (${result.changed.join(', ')}) from ${result.settingsPath}`
          : `no skillopt hooks in ${result.settingsPath}`,
      );
    });
};
