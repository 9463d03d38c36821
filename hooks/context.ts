// What every hook handler gets: its settings, its log, the clock.
import type { HookLog } from './log';
import type { HookSettings } from './settings';

export interface HookContext {
  settings: HookSettings;
  log: HookLog;
  env: NodeJS.ProcessEnv;
  now: () => number;
  /** The flusher bundle (dist/hook-flusher.mjs) the hook starts after spooling. */
  flusherPath(): string;
}
