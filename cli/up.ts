// `skillopt up`: only the options here; worker/up runs the embedded stack.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { skilloptHome } from '../local/home';
import { parsePort } from './args';
import type { CliContext, RegisterCommands } from './context';

interface UpFlags {
  temporalPort: number;
  uiPort: number;
  dashboardPort: number;
  home?: string;
}

export const registerUp: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('up')
    .description('run skillopt on this machine: a Temporal dev server (with its Web UI), the worker and the SQLite store; Ctrl-C stops it')
    .option('--temporal-port <n>', 'port of the Temporal dev server', parsePort, 7233)
    .option('--ui-port <n>', 'port of the Temporal Web UI', parsePort, 8233)
    .option('--dashboard-port <n>', 'port of the skills dashboard (on 127.0.0.1)', parsePort, 8234)
    .option('--home <dir>', 'where skillopt keeps its state (default: $SKILLOPT_HOME, else ~/.skillopt)')
    .action(async (flags: UpFlags) => {
      // Loaded on demand: the worker stack (Temporal's native bridge) is heavy and only `up` needs it.
      const { runUp } = await import('../worker/up');
      const home = flags.home === undefined ? skilloptHome(ctx.env, ctx.cwd) : resolve(ctx.cwd, flags.home);
      ctx.exitCode = await runUp({ temporalPort: flags.temporalPort, uiPort: flags.uiPort, dashboardPort: flags.dashboardPort, home });
    });
};
