// Which org skills (and versions) a session really has in context. Claude Code
// reads the skills folders when its process starts, before SessionStart hooks
// run, so a skill SessionStart pulls is used from the next session on. The
// snapshot taken at SessionStart, before pulling, is what the session runs: the
// attribution records it and PreToolUse credits an invocation to its version.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../core/manifest';
import { SESSIONS_DIR, sessionFileStem } from './hint';
import { orgSkillsInContext } from '../agents/skills-in-context';

export interface SkillInContext {
  name: string;
  author: string;
  version: number;
}

export const SESSION_SKILLS_SUFFIX = '.skills.json';

function sessionSkillsPath(home: string, sessionId: string): string {
  return join(home, SESSIONS_DIR, `${sessionFileStem(sessionId)}${SESSION_SKILLS_SUFFIX}`);
}

/** Takes the snapshot from the pull manifest (as it is before this session's pull) and stores it. */
export function snapshotSessionSkills(home: string, sessionId: string, manifest: Manifest, roots: readonly string[]): SkillInContext[] {
  const skills = orgSkillsInContext(manifest, roots, existsSync);
  const path = sessionSkillsPath(home, sessionId);
  mkdirSync(join(home, SESSIONS_DIR), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ v: 1, sessionId, skills }), { mode: 0o600 });
  renameSync(tmp, path);
  return skills;
}

/** The version of `name--author` this session has in context, or undefined without a snapshot. */
export function versionInSession(home: string, sessionId: string, name: string, author: string): number | undefined {
  try {
    const data = JSON.parse(readFileSync(sessionSkillsPath(home, sessionId), 'utf8')) as { sessionId?: unknown; skills?: unknown };
    if (data.sessionId !== sessionId || !Array.isArray(data.skills)) return undefined;
    const found = (data.skills as Partial<SkillInContext>[]).find((s) => s.name === name && s.author === author);
    return typeof found?.version === 'number' ? found.version : undefined;
  } catch {
    return undefined;
  }
}
