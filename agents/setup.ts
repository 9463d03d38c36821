// What `skillopt hooks install|uninstall` and `doctor` ask of an agent: put
// skillopt's hooks (or extension) where the agent reads them, take them out
// again, and say whether what is installed works. Each agent implements it in
// agents/<name>/setup.ts; agents/setups.ts lists them.

export type HookScope = 'user' | 'project';

/** Where to install: the user's home and CODEX_HOME-like settings from `env`, or the project at `cwd`. */
export interface SetupWhere {
  env: NodeJS.ProcessEnv;
  scope: HookScope;
  /** The user's home (scope user). */
  home: string;
  /** The project folder (scope project). */
  cwd: string;
  /** The program and arguments before `hook <Event>`; default: node <this checkout>/dist/hook.cjs. */
  entry?: readonly string[];
}

export interface HookInstallResult {
  /** The file skillopt's hooks (or extension) are in. */
  settingsPath: string;
  /** Another file changed with it (Codex: the config.toml that holds the hooks' trust). */
  trustPath?: string;
  /** What was added, rewritten or removed (hook events; "extension"). */
  changed: string[];
  /** False when the file already said exactly this (nothing written). */
  written: boolean;
  /** The other scope's file when it holds skillopt's hooks too (the agent then runs both sets). */
  alsoInstalledIn?: string;
}

/** `doctor`'s line for one agent: fine, or what is wrong and the command that fixes it. */
export type SetupCheck = { ok: true; detail: string } | { ok: false; detail: string; fix: string };

export interface AgentSetup {
  /** What install writes, for `hooks install --help`. */
  installs: string;
  /** How the output names the agent's set: "skillopt hooks", "skillopt Codex hooks". */
  setName: string;
  install(where: SetupWhere): Promise<HookInstallResult>;
  uninstall(where: Omit<SetupWhere, 'entry'>): Promise<HookInstallResult>;
  /** undefined when nothing of skillopt's is installed for this agent. */
  check(where: Omit<SetupWhere, 'scope' | 'entry'>): Promise<SetupCheck | undefined>;
  /** Said after a project install, when the agent needs more before it runs them (Codex: trust the project). */
  projectNote?(where: SetupWhere, result: HookInstallResult): string | undefined;
}

/** A settings or config file skillopt will not rewrite; the message says what to fix. */
export class HookSettingsError extends Error {
  override name = 'HookSettingsError';
}
