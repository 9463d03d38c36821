// The interactive Claude Code TUI as a user drives it: the real CLI in a
// terminal multiplexer (tmux, on a socket of its own), keys sent, the screen
// read back. Every screen read and everything the TUI wrote to the terminal
// is kept, so a test can say what was on screen at any moment, not only at
// the end. Shared by test/e2e/tui.test.ts and bench/tui.ts.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The pinned CLI (test/e2e/helpers.ts names it too; that module loads vitest, which a benchmark cannot). */
const CLAUDE_BIN = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'claude');
export const TMUX = existsSync('/usr/bin/tmux') ? '/usr/bin/tmux' : 'tmux';

/**
 * What a user has done once, so the TUI opens on its prompt: onboarding done,
 * the API key the environment gives accepted, the project folder trusted.
 */
export function acceptFirstRun(home: string, cwd: string, apiKey: string): void {
  const path = join(home, '.claude.json');
  const current = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(
    path,
    JSON.stringify({
      ...current,
      hasCompletedOnboarding: true,
      theme: 'dark',
      customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
      projects: { [cwd]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
    }),
  );
}

/** Removes ANSI escape sequences (CSI, OSC, two-byte) from terminal output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '');
}

export interface TuiOptions {
  /** The whole environment of the agent (nothing else leaks in). */
  env: Record<string, string>;
  cwd: string;
  /** Where the raw terminal output is written. */
  logDir: string;
  args?: string[];
  columns?: number;
  rows?: number;
}

export class Tui {
  /** Every distinct screen read, in order. */
  readonly frames: string[] = [];
  private readonly socket: string;
  private readonly rawPath: string;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;

  private constructor(
    readonly name: string,
    logDir: string,
  ) {
    this.socket = `skillopt-${name}`;
    this.rawPath = join(logDir, `${name}.raw`);
  }

  /** Starts `claude` in a detached tmux session and waits for its prompt. */
  static async start(name: string, options: TuiOptions): Promise<Tui> {
    mkdirSync(options.logDir, { recursive: true });
    const tui = new Tui(name, options.logDir);
    const vars = Object.entries({ TERM: 'xterm-256color', ...options.env }).map(([k, v]) => `${k}=${v}`);
    // tmux runs a command given as several words directly (no shell); `env -i` gives it exactly this environment.
    await tui
      .tmux(['-V'])
      .catch((err: NodeJS.ErrnoException) => Promise.reject(err.code === 'ENOENT' ? new Error('the interactive tests need tmux on PATH (e.g. `apt-get install tmux`)') : err));
    await tui.tmux(['new-session', '-d', '-s', name, '-x', String(options.columns ?? 120), '-y', String(options.rows ?? 40), '-c', options.cwd, '--', 'env', '-i', ...vars, CLAUDE_BIN, ...(options.args ?? [])]);
    // Everything the TUI writes, including what lasts less than a screen read.
    await tui.tmux(['pipe-pane', '-t', name, '-o', `cat >> '${tui.rawPath}'`]);
    tui.poller = setInterval(() => void tui.poll(), 40);
    await tui.waitFor('the prompt', (s) => /^❯/m.test(s), 30_000);
    return tui;
  }

  private async tmux(args: string[]): Promise<string> {
    return (await run(TMUX, ['-L', this.socket, ...args], { encoding: 'utf8' })).stdout;
  }

  /** The screen now. */
  async screen(): Promise<string> {
    const text = await this.tmux(['capture-pane', '-p', '-t', this.name]);
    if (this.frames.at(-1) !== text) this.frames.push(text);
    return text;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.screen();
    } catch {
      // The session ended.
    } finally {
      this.polling = false;
    }
  }

  /** Everything the TUI wrote to the terminal so far, escape sequences removed. */
  output(): string {
    return existsSync(this.rawPath) ? stripAnsi(readFileSync(this.rawPath, 'utf8')) : '';
  }

  /** Types text (literally, no key names). */
  async type(text: string): Promise<void> {
    await this.tmux(['send-keys', '-t', this.name, '-l', text]);
  }

  async press(key: 'Enter' | 'Escape'): Promise<void> {
    await this.tmux(['send-keys', '-t', this.name, key]);
  }

  /** Polls the screen until `ok` holds; returns that screen. */
  async waitFor(what: string, ok: (screen: string) => boolean, timeoutMs = 30_000, everyMs = 10): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        last = await this.screen();
        if (ok(last)) return last;
      } catch {
        // Not there (yet, or any more).
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} in the TUI "${this.name}"; screen:\n${last}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /**
   * Types `prompt`, waits until the TUI shows it, presses Enter and waits for
   * `answer` on screen: the ms from Enter to the answer.
   */
  async ask(prompt: string, answer: string, timeoutMs = 30_000): Promise<number> {
    await this.type(prompt);
    await this.waitFor(`"${prompt}" typed`, (s) => s.includes(prompt));
    const started = performance.now();
    await this.press('Enter');
    await this.waitFor(`the answer "${answer}"`, (s) => s.includes(answer), timeoutMs, 5);
    return performance.now() - started;
  }

  /** Whether the tmux session (the TUI) is still there. */
  alive(): boolean {
    try {
      execFileSync(TMUX, ['-L', this.socket, 'has-session', '-t', this.name], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  /** `/exit`, then waits for the TUI to end (its session goes with it). */
  async exit(timeoutMs = 15_000): Promise<void> {
    await this.type('/exit');
    await this.waitFor('/exit typed', (s) => s.includes('/exit'));
    await this.press('Enter');
    const deadline = Date.now() + timeoutMs;
    while (this.alive()) {
      if (Date.now() > deadline) throw new Error(`the TUI "${this.name}" did not end after /exit`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.stopPolling();
  }

  stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  /** Ends the session whatever its state (cleanup). */
  kill(): void {
    this.stopPolling();
    try {
      execFileSync(TMUX, ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
}
