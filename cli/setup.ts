// `skillopt setup`: prepares the central part, once, with the worker's own
// settings (the standard Temporal client settings and SKILLOPT_DATABASE_URL):
// creates the namespace when it is missing, registers skillopt's search
// attributes, and migrates the store. Safe to run again. What the server does
// not allow (Temporal Cloud creates namespaces in its own UI; SQL visibility's
// few custom attributes per type) is one line saying what to do instead.
import type { Command } from 'commander';
import { machineMode } from '../local/mode';
import { storeLocation } from '../local/store-location';
import { CliError, type CliContext, type RegisterCommands } from './context';

export const registerSetup: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('setup')
    .description("prepare the team's central part: create the Temporal namespace, register skillopt's search attributes, migrate the store (SKILLOPT_DATABASE_URL); safe to run again")
    .action(async () => {
      // Loaded on demand: the Temporal client is only needed here.
      const { temporalClient, temporalSettings } = await import('../local/temporal');
      const { CentralSetupError, setupCentralNamespace } = await import('../team/central-namespace');
      const { address, namespace } = temporalSettings(ctx.env);
      let client: Awaited<ReturnType<typeof temporalClient>>;
      try {
        client = await temporalClient(ctx.env, { connectTimeout: 5_000 });
      } catch (err) {
        throw new CliError(`cannot reach Temporal at ${address} (${(err as Error).message.split('\n')[0]}): check TEMPORAL_ADDRESS (and TEMPORAL_API_KEY or the TLS settings)`);
      }
      try {
        await setupCentralNamespace(client.connection, namespace, (line) => ctx.print(line));
      } catch (err) {
        if (err instanceof CentralSetupError) throw new CliError(err.message);
        throw err;
      } finally {
        await client.connection.close();
      }
      if (machineMode(ctx.env).mode !== 'central') {
        ctx.print('store: not touched (no SKILLOPT_DATABASE_URL here); the worker migrates it at start');
        return;
      }
      // Opening the store runs its pending migrations.
      const { openStore } = await import('../store/open-store');
      await (await openStore(storeLocation(ctx.env, ctx.cwd))).close();
      ctx.print('store: reachable and migrated');
      ctx.print(`ready: start the worker (\`node dist/worker.mjs\`) with these settings`);
    });
};
