// A sandbox per test: temp HOME, SKILLOPT_HOME (the SQLite store and the
// manifest) and project folder, passed to runCli through its io. Nothing here
// reads or writes the real home, and the process's SKILLOPT_DATABASE_URL is
// never inherited.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/run-cli';

export interface Sandbox {
  dir: string;
  home: string;
  skilloptHome: string;
  project: string;
  env: NodeJS.ProcessEnv;
  /** ~/.claude/skills in the sandbox. */
  userSkills: string;
  cleanup(): Promise<void>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function makeSandbox(extraEnv: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'skillopt-cli-'));
  const home = join(dir, 'home');
  const skilloptHome = join(dir, 'skillopt-home');
  const project = join(dir, 'project');
  await mkdir(home, { recursive: true });
  await mkdir(project, { recursive: true });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, SKILLOPT_HOME: skilloptHome, SKILLOPT_USER: 'alice', ...extraEnv };
  return { dir, home, skilloptHome, project, env, userSkills: join(home, '.claude', 'skills'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function run(sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...sb.env, ...env },
    cwd: sb.project,
  });
  return { code, stdout, stderr };
}

/** Writes <dir>/SKILL.md (the folder is created) and returns the folder. */
export async function writeSkill(dir: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'SKILL.md'), text);
  return dir;
}

/** A SKILL.md; without a `description:` in `frontmatter`, one is added (agents skip a skill without one). */
export function skillText(frontmatter: string, body = '# Steps\n\n1. Do the thing.\n'): string {
  const described = /^description:/m.test(frontmatter) ? frontmatter.trim() : `${frontmatter.trim()}\ndescription: Use when testing`;
  return `---\n${described}\n---\n\n${body}`;
}

/** Asserts the run failed with exactly one `skillopt: …` line on stderr. */
export function expectOneLineError(result: RunResult, pattern: RegExp): void {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  if (result.code === 0 || lines.length !== 1 || !lines[0]!.startsWith('skillopt: ') || !pattern.test(lines[0]!)) {
    throw new Error(`expected a one-line error matching ${pattern}, got exit ${result.code} and stderr:\n${result.stderr}`);
  }
}
