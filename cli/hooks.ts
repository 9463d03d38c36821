// `skillopt hooks install|uninstall [--agent claude|codex|all] [--scope user|project]`;
// cli/hooks-install.ts edits the settings. (`skillopt hook <Event>`, what the
// agent runs, never reaches the CLI: it runs dist/hook.cjs.)
import type { Command } from 'commander';
import type { AgentName } from '../local/agents';
import { parseAgents } from './args';
import { userHome } from '../local/home';
import type { CliContext, RegisterCommands } from './context';
import { UsageError } from './context';
import { HOOK_EVENTS, installHooks, uninstallHooks, type HookScope } from './hooks-install';

function parseScope(value: string): HookScope {
  if (value !== 'user' && value !== 'project') throw new UsageError(`--scope must be "user" or "project", not "${value}"`);
  return value;
}

const AGENT_LABEL: Record<AgentName, string> = { claude: 'Claude Code', codex: 'Codex' };
/** How the output names each agent's set. */
const HOOKS_LABEL: Record<AgentName, string> = { claude: 'skillopt hooks', codex: 'skillopt Codex hooks' };

function where(ctx: Pick<CliContext, 'env' | 'cwd'>, agent: AgentName, scope: HookScope) {
  return { agent, env: ctx.env, scope, home: userHome(ctx.env), cwd: ctx.cwd };
}

export const registerHookCommands: RegisterCommands = (program: Command, ctx: CliContext) => {
  const hooks = program.command('hooks').description("add or remove skillopt's agent hooks (Claude Code, Codex)");
  hooks
    .command('install')
    .description(`add skillopt's hooks to the agent's configuration, keeping everything else: Claude Code's settings.json (${HOOK_EVENTS.join(', ')}), Codex's hooks.json (SessionStart, PreToolUse, UserPromptSubmit) with the trust Codex needs in its config.toml`)
    .option('--agent <agent>', '"claude" (default), "codex" or "all"', parseAgents, ['claude'] as AgentName[])
    .option('--scope <scope>', '"user" ($HOME/.claude/settings.json, $CODEX_HOME/hooks.json) or "project" (./.claude/settings.json, ./.codex/hooks.json)', 'user')
    .action(async (flags: { agent: AgentName[]; scope: string }) => {
      const scope = parseScope(flags.scope);
      for (const agent of flags.agent) {
        const result = await installHooks(where(ctx, agent, scope));
        ctx.print(
          result.written
            ? `installed ${HOOKS_LABEL[agent]}${result.changed.length ? ` (${result.changed.join(', ')})` : ''} in ${result.settingsPath}${result.trustPath ? `, trusted in ${result.trustPath}` : ''}`
            : `${HOOKS_LABEL[agent]} already installed in ${result.settingsPath}`,
        );
        if (agent === 'codex' && scope === 'project') {
          ctx.print(`Codex reads ${result.settingsPath} only in a trusted project: trust ${ctx.cwd} in Codex (it asks on first start) or add [projects."${ctx.cwd}"] trust_level = "trusted" to its config.toml`);
        }
        if (result.alsoInstalledIn) {
          // The agent runs both sets when their commands differ; the hooks count each event once, but every hook runs twice.
          const other = scope === 'user' ? 'project' : 'user';
          ctx.stderr.write(
            `skillopt: warning: ${result.alsoInstalledIn} has skillopt hooks too, so ${AGENT_LABEL[agent]} may run each hook twice; remove one set with \`skillopt hooks uninstall${agent === 'claude' ? '' : ` --agent ${agent}`} --scope ${other}\`\n`,
          );
        }
      }
    });
  hooks
    .command('uninstall')
    .description("remove skillopt's hooks (and, for Codex, the trust it wrote), and nothing else")
    .option('--agent <agent>', '"claude" (default), "codex" or "all"', parseAgents, ['claude'] as AgentName[])
    .option('--scope <scope>', '"user" or "project"', 'user')
    .action(async (flags: { agent: AgentName[]; scope: string }) => {
      const scope = parseScope(flags.scope);
      for (const agent of flags.agent) {
        const result = await uninstallHooks(where(ctx, agent, scope));
        ctx.print(
          result.written
            ? `removed ${HOOKS_LABEL[agent]}${result.changed.length ? ` (${result.changed.join(', ')})` : ''} from ${result.settingsPath}${result.trustPath ? ` and their trust from ${result.trustPath}` : ''}`
            : `no ${HOOKS_LABEL[agent]} in ${result.settingsPath}`,
        );
      }
    });
};
