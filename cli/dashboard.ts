// `skillopt dashboard [--port] [--host]`: the skills dashboard alone (`skillopt up`
// serves it too), on the backend seam as every other command: the store, or the
// central worker through Temporal on a teammate's machine; the lanes' state,
// invocations and approve / reject through Temporal.
import type { Command } from 'commander';
import { currentUser } from '../local/home';
import { parsePort } from './args';
import type { CliContext, RegisterCommands } from './context';
import { CliError } from './context';

interface DashboardFlags {
  port: number;
  host: string;
  temporalUi: string;
}

function stopRequested(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

async function runDashboard(ctx: CliContext, flags: DashboardFlags): Promise<void> {
  const backend = await ctx.openBackend();
  let temporal = true;
  try {
    await backend.temporal();
  } catch (err) {
    temporal = false;
    ctx.stderr.write(`skillopt: ${(err as Error).message.split('\n')[0]}; the dashboard shows the store only (no invocations, lane state, approve or reject)\n`);
  }
  const { startDashboard } = await import('../dashboard/server');
  let dashboard;
  try {
    dashboard = await startDashboard({ backend, temporal, temporalUiUrl: flags.temporalUi, user: currentUser(ctx.env), env: ctx.env, host: flags.host, port: flags.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${flags.port} is already in use by another program; stop it or pass --port <n>`);
    throw err;
  }
  ctx.print(`skills dashboard: ${dashboard.url}  (Ctrl-C stops it)`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(flags.host)) {
    ctx.print(ctx.env.SKILLOPT_DASHBOARD_TOKEN?.trim() ? 'actions need the dashboard token (SKILLOPT_DASHBOARD_TOKEN)' : 'not on loopback and no SKILLOPT_DASHBOARD_TOKEN: approve and reject are off');
  }
  await stopRequested();
  await dashboard.close();
}

export const registerDashboard: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('dashboard')
    .description("serve the skills dashboard (versions, canaries, diffs, approve / reject) without the rest of `skillopt up`")
    .option('--port <n>', 'port to listen on', parsePort, 8234)
    .option('--host <address>', 'address to listen on; other than loopback, actions need SKILLOPT_DASHBOARD_TOKEN', '127.0.0.1')
    .option('--temporal-ui <url>', 'the Temporal Web UI, for links to workflows', 'http://localhost:8233')
    .action((flags: DashboardFlags) => runDashboard(ctx, flags));
};
