// Starting a detached process (the SessionStart job, the outbox flusher).
// node:child_process drags in net, stream and dgram (~30 built-in modules, a
// few ms of start-up), so it is loaded here, only when a process is started,
// never at the top of a hook: most hook runs start nothing.
import type * as ChildProcess from 'node:child_process';
import type * as Os from 'node:os';
import { writeFileSync } from 'node:fs';
import { liveFlusherPid } from '../local/outbox/flusher-lock';

type ChildProcessModule = typeof ChildProcess;

/**
 * The nice value background work starts at. Against the agent busy on a core
 * it gets about a tenth of it (CFS weights 110 vs 1024), so the agent's answer
 * is not slowed; 19 (1.5 %) starved it: on a machine busy for minutes the
 * flusher took tens of seconds just to start, and events waited that long.
 */
export const BACKGROUND_NICE = 10;

function builtin<T>(id: string): T | undefined {
  // Synchronous and loader-free (Node ≥ 20.16). import() in the CommonJS hook
  // bundle would first load the ES-module loader: ten more modules per spawn.
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return typeof get === 'function' ? (get.call(process, id) as T) : undefined;
}

async function loadChildProcess(): Promise<ChildProcessModule> {
  return builtin<ChildProcessModule>('node:child_process') ?? import('node:child_process');
}

/**
 * Lowers this hook process to the background priority, so that what it starts
 * next inherits it from its first instruction: every thread of the new Node
 * process (the compiler's and the GC's too) is born at that priority, which a
 * child lowering itself once its code runs could not do. Only before a spawn
 * that is the hook's last work: a process cannot raise its priority again.
 */
async function lowerOwnPriority(onError: (err: unknown) => void): Promise<void> {
  try {
    const os = builtin<typeof Os>('node:os') ?? (await import('node:os'));
    os.setPriority(BACKGROUND_NICE);
  } catch (err) {
    onError(err);
  }
}

/**
 * Linux with autogroup scheduling (most desktops): the CPU is shared between
 * sessions first, and a detached process has a session of its own, so its
 * nice value alone would not yield to the agent's session. Its session's
 * group is lowered too (what `/proc/<pid>/autogroup` is for). Elsewhere there
 * is no such file: nothing to do.
 */
function lowerAutogroup(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(BACKGROUND_NICE));
  } catch {
    // No autogroup scheduling here (or not Linux): the process's own priority is all there is.
  }
}

/** The Node binary detached processes run on: this process's, unless it is not Node (OpenCode runs plugins in its own Bun). */
let nodeBinary = process.execPath;

/** Whether this process is the agent itself (pi's extension, OpenCode's plugin) rather than a hook process of its own. */
let insideAgent = false;

/** For a hook running inside a host that is not Node: the Node binary to start skillopt's processes with. */
export function useNodeBinary(path: string): void {
  nodeBinary = path;
}

/**
 * For hooks that run inside the agent's own process: what they start is lowered to the background
 * priority once started, never by lowering this process first, which is the agent's (and stays lowered).
 */
export function runningInsideAgent(): void {
  insideAgent = true;
}

/** The child's main thread to the background priority (its threads born later inherit it). */
async function lowerChildPriority(pid: number, onError: (err: unknown) => void): Promise<void> {
  try {
    const os = builtin<typeof Os>('node:os') ?? (await import('node:os'));
    os.setPriority(pid, BACKGROUND_NICE);
  } catch (err) {
    onError(err);
  }
}

export interface SpawnOptions {
  cwd?: string;
  /** Start it at the background priority (the hook's own work must be done: see lowerOwnPriority). */
  lowPriority?: boolean;
}

/**
 * Runs `node <args>` in its own session with no stdio, not waited for: it
 * outlives the hook and Claude Code never sees it. False when it could not start.
 */
export async function spawnDetachedNode(args: string[], options: SpawnOptions, onError: (err: unknown) => void): Promise<boolean> {
  try {
    const { spawn } = await loadChildProcess();
    if (options.lowPriority && !insideAgent) await lowerOwnPriority(onError);
    const child = spawn(nodeBinary, args, { detached: true, stdio: 'ignore', ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
    if (options.lowPriority && child.pid !== undefined) {
      if (insideAgent) await lowerChildPriority(child.pid, onError);
      lowerAutogroup(child.pid);
    }
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
export async function ensureFlusher(home: string, flusherPath: string, lowPriority: boolean, onError: (err: unknown) => void): Promise<boolean> {
  if (liveFlusherPid(home) !== undefined) return false;
  return spawnDetachedNode([flusherPath], { cwd: home, lowPriority }, onError);
}
