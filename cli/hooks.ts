// `skillopt hooks install|uninstall [--agent <name>|all] [--scope user|project]`;
// each agent's setup (agents/<name>/setup.ts) edits its configuration. (`skillopt
// hook <Event>`, what the agent runs, never reaches the CLI: it runs dist/hook.cjs.)
import type { Command } from 'commander';
import { AGENTS, AGENT_NAMES, type AgentName } from '../agents/registry';
import type { HookScope } from '../agents/setup';
import { AGENT_SETUPS } from '../agents/setups';
import { parseAgents } from './args';
import { userHome } from '../local/home';
import type { CliContext, RegisterCommands } from './context';
import { UsageError } from './context';

function parseScope(value: string): HookScope {
  if (value !== 'user' && value !== 'project') throw new UsageError(`--scope must be "user" or "project", not "${value}"`);
  return value;
}

function where(ctx: Pick<CliContext, 'env' | 'cwd'>, scope: HookScope) {
  return { env: ctx.env, scope, home: userHome(ctx.env), cwd: ctx.cwd };
}

const AGENT_OPTION = `${AGENT_NAMES.map((name) => `"${name}"`).join(', ')} or "all" (default: claude)`;

export const registerHookCommands: RegisterCommands = (program: Command, ctx: CliContext) => {
  const hooks = program.command('hooks').description(`add or remove skillopt's agent hooks (${AGENT_NAMES.map((name) => AGENTS[name].label).join(', ')})`);
  hooks
    .command('install')
    .description(`add skillopt's hooks to the agent's configuration, keeping everything else: ${AGENT_NAMES.map((name) => AGENT_SETUPS[name].installs).join('; ')}`)
    .option('--agent <agent>', AGENT_OPTION, parseAgents, ['claude'] as AgentName[])
    .option('--scope <scope>', '"user" (the agent\'s own folder under $HOME) or "project" (./.claude, ./.codex, ./.pi, ./.gemini, ./.github/hooks, ./.opencode)', 'user')
    .action(async (flags: { agent: AgentName[]; scope: string }) => {
      const scope = parseScope(flags.scope);
      for (const agent of flags.agent) {
        const setup = AGENT_SETUPS[agent];
        const result = await setup.install(where(ctx, scope));
        ctx.print(
          result.written
            ? `installed ${setup.setName}${result.changed.length ? ` (${result.changed.join(', ')})` : ''} in ${result.settingsPath}${result.trustPath ? `, trusted in ${result.trustPath}` : ''}`
            : `${setup.setName} already installed in ${result.settingsPath}`,
        );
        const note = scope === 'project' ? setup.projectNote?.(where(ctx, scope), result) : undefined;
        if (note) ctx.print(note);
        if (result.alsoInstalledIn) {
          // The agent runs both sets when their commands differ; the hooks count each event once, but every hook runs twice.
          const other = scope === 'user' ? 'project' : 'user';
          ctx.stderr.write(
            `skillopt: warning: ${result.alsoInstalledIn} has skillopt hooks too, so ${AGENTS[agent].label} may run each hook twice; remove one set with \`skillopt hooks uninstall${agent === 'claude' ? '' : ` --agent ${agent}`} --scope ${other}\`\n`,
          );
        }
      }
    });
  hooks
    .command('uninstall')
    .description("remove skillopt's hooks (and, for Codex, the trust it wrote), and nothing else")
    .option('--agent <agent>', AGENT_OPTION, parseAgents, ['claude'] as AgentName[])
    .option('--scope <scope>', '"user" or "project"', 'user')
    .action(async (flags: { agent: AgentName[]; scope: string }) => {
      const scope = parseScope(flags.scope);
      for (const agent of flags.agent) {
        const setup = AGENT_SETUPS[agent];
        const result = await setup.uninstall(where(ctx, scope));
        ctx.print(
          result.written
            ? `removed ${setup.setName}${result.changed.length ? ` (${result.changed.join(', ')})` : ''} from ${result.settingsPath}${result.trustPath ? ` and their trust from ${result.trustPath}` : ''}`
            : `no ${setup.setName} in ${result.settingsPath}`,
        );
      }
    });
};
