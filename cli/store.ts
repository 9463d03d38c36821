// Opens the store a CLI command works on, from the command's own env (not the
// process's), so in-process callers such as tests choose the database.
import { join } from 'node:path';
import { openStore } from '../store/index';
import type { Store } from '../store/types';
import type { CliContext } from './context';
import { cliSkilloptHome } from './context';

export async function openCliStore(ctx: Pick<CliContext, 'env' | 'cwd'>): Promise<Store> {
  const home = cliSkilloptHome(ctx);
  // Always explicit: without it the store would fall back to the process's
  // SKILLOPT_DATABASE_URL even when the caller's env has none.
  const url = ctx.env.SKILLOPT_DATABASE_URL?.trim() || `sqlite:${join(home, 'skillopt.db')}`;
  return openStore({ url, home });
}
