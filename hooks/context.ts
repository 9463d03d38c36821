// What every hook handler gets: the agent, its settings, its log, the clock.
import type { AgentName } from '../agents/registry';
import type { HookLog } from '../local/hook-log';
import type { HookSettings } from './settings';

export interface HookContext {
  /** Whose hook this is (`hook <Event> --agent codex`; default claude). */
  agent: AgentName;
  settings: HookSettings;
  log: HookLog;
  env: NodeJS.ProcessEnv;
  now: () => number;
  /** The flusher bundle (dist/flusher.mjs) the hook starts after spooling. */
  flusherPath(): string;
}
