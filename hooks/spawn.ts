// Starting a detached process (the SessionStart job, the outbox flusher).
// node:child_process drags in net, stream and dgram (~30 built-in modules, a
// few ms of start-up), so it is loaded here, only when a process is started,
// never at the top of a hook: most hook runs start nothing.
import type * as ChildProcess from 'node:child_process';
import { liveFlusherPid } from '../local/outbox/flusher-lock';

type ChildProcessModule = typeof ChildProcess;

async function loadChildProcess(): Promise<ChildProcessModule> {
  // Synchronous and loader-free (Node ≥ 20.16). import() in the CommonJS hook
  // bundle would first load the ES-module loader: ten more modules per spawn.
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof builtin === 'function') return builtin.call(process, 'node:child_process') as ChildProcessModule;
  return import('node:child_process');
}

/**
 * Runs `node <args>` in its own session with no stdio, not waited for: it
 * outlives the hook and Claude Code never sees it. False when it could not start.
 */
export async function spawnDetachedNode(args: string[], cwd: string | undefined, onError: (err: unknown) => void): Promise<boolean> {
  try {
    const { spawn } = await loadChildProcess();
    const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore', ...(cwd === undefined ? {} : { cwd }) });
    child.on('error', onError);
    child.unref();
    return true;
  } catch (err) {
    onError(err);
    return false;
  }
}

/**
 * Starts a detached flusher (dist/flusher.mjs) unless one is running. It
 * outlives the hook (own session, no stdio: Claude Code does not wait for it).
 */
export async function ensureFlusher(home: string, flusherPath: string, onError: (err: unknown) => void): Promise<boolean> {
  if (liveFlusherPid(home) !== undefined) return false;
  return spawnDetachedNode([flusherPath], home, onError);
}
