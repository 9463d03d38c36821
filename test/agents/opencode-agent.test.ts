// OpenCode as the hooks see it (agents/opencode/agent.ts): where it loads
// skills from and keeps sessions, and which `skill` tool results are an org
// skill's use: real folders in a temporary home, the rules in-process.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPlace, PulledSkills } from '../../agents/agent';
import { openCodeAgent, openCodeDatabasePath } from '../../agents/opencode/agent';
import { agentInstallRoots, agentsReading } from '../../agents/registry';
import { emptyManifest, upsertEntry, type Manifest } from '../../core/manifest';

const REF = 'deploy--alice';
let dir: string;
let place: AgentPlace;
let manifest: Manifest;

function pulled(root: string, dirName = REF): string {
  mkdirSync(join(root, dirName), { recursive: true });
  writeFileSync(join(root, dirName, 'SKILL.md'), `---\nname: ${dirName}\ndescription: d\n---\nbody\n`);
  manifest = upsertEntry(manifest, { dirName, name: dirName.split('--')[0]!, author: dirName.split('--')[1]!, version: 1, scope: 'user', root, pulledAt: '' });
  return join(root, dirName);
}

const skills = (): PulledSkills => ({ manifest: () => manifest, place });
const config = () => join(place.home, '.config', 'opencode');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-opencode-agent-'));
  const home = join(dir, 'home');
  const cwd = join(dir, 'work', 'project');
  mkdirSync(join(dir, 'work', '.git'), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  place = { home, cwd, env: { HOME: home } };
  manifest = emptyManifest();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('OpenCode: where it loads skills from and keeps sessions', () => {
  it('pull installs into <config>/skills (user) and .opencode/skills (project); OpenCode reads those, the Claude Code and shared folders, up to the git root', () => {
    expect(agentInstallRoots('opencode', place)).toEqual({ user: join(config(), 'skills'), project: join(place.cwd, '.opencode', 'skills') });
    expect(openCodeAgent.skillRoots(place)).toEqual([
      join(place.cwd, '.opencode', 'skills'),
      join(place.cwd, '.opencode', 'skill'),
      join(dir, 'work', '.opencode', 'skills'),
      join(dir, 'work', '.opencode', 'skill'),
      join(place.cwd, '.claude', 'skills'),
      join(place.cwd, '.agents', 'skills'),
      join(dir, 'work', '.claude', 'skills'),
      join(dir, 'work', '.agents', 'skills'),
      join(config(), 'skills'),
      join(config(), 'skill'),
      join(place.home, '.opencode', 'skills'),
      join(place.home, '.opencode', 'skill'),
      join(place.home, '.claude', 'skills'),
      join(place.home, '.agents', 'skills'),
    ]);
    // OpenCode reads the agents' shared folder and Claude Code's: one pull there serves it too.
    expect(agentsReading(join(place.home, '.agents', 'skills'), place)).toContain('opencode');
    expect(agentsReading(join(place.home, '.claude', 'skills'), place)).toContain('opencode');
  });

  it('follows XDG_CONFIG_HOME and OpenCode’s switches that drop folders', () => {
    const env = { HOME: place.home, XDG_CONFIG_HOME: join(dir, 'xdg'), OPENCODE_DISABLE_PROJECT_CONFIG: '1', OPENCODE_DISABLE_CLAUDE_CODE: 'true' };
    const roots = openCodeAgent.skillRoots({ ...place, env });
    expect(roots).toContain(join(dir, 'xdg', 'opencode', 'skills'));
    expect(roots.some((r) => r.includes('.claude') || r.includes(`${place.cwd}/.opencode`))).toBe(false);
    expect(roots).toContain(join(place.home, '.agents', 'skills'));
    expect(openCodeAgent.skillRoots({ ...place, env: { HOME: place.home, OPENCODE_DISABLE_EXTERNAL_SKILLS: '1' } }).some((r) => r.includes('.agents') || r.includes('.claude'))).toBe(false);
  });

  it('sessions are in <data>/opencode.db: the judge reads only that folder; OPENCODE_DB moves it', () => {
    expect(openCodeDatabasePath({ HOME: '/home/bob' })).toBe('/home/bob/.local/share/opencode/opencode.db');
    expect(openCodeDatabasePath({ HOME: '/home/bob', XDG_DATA_HOME: '/data' })).toBe('/data/opencode/opencode.db');
    expect(openCodeDatabasePath({ HOME: '/home/bob', OPENCODE_DB: 'other.db' })).toBe('/home/bob/.local/share/opencode/other.db');
    expect(openCodeDatabasePath({ HOME: '/home/bob', OPENCODE_DB: '/srv/x.db' })).toBe('/srv/x.db');
    expect(openCodeAgent.transcriptFolder({ HOME: '/home/bob' }, '/w')).toBe('/home/bob/.local/share/opencode');
  });
});

describe('OpenCode: a use of the skill tool', () => {
  it('arms for the folder OpenCode loaded when pull installed it; by name when the result names no folder', () => {
    const folder = pulled(join(config(), 'skills'));
    const use = (tool_input: Record<string, unknown>, tool_name = 'skill') => openCodeAgent.skillCall({ tool_name, tool_input, session_id: 's', cwd: place.cwd }, skills());
    expect(use({ name: REF, dir: folder })).toMatchObject({ ref: { name: 'deploy', author: 'alice' }, install: { root: join(config(), 'skills') } });
    expect(use({ name: REF })).toMatchObject({ ref: { name: 'deploy', author: 'alice' } });
    // Another tool, even one naming the skill, is not a use.
    expect(use({ filePath: join(folder, 'SKILL.md') }, 'read')).toBe('not-skill-tool');
  });

  it('never arms for a local skill: one pull did not install, or a same-named copy OpenCode loaded from another folder', () => {
    pulled(join(config(), 'skills'));
    const local = join(place.cwd, '.opencode', 'skills', REF);
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'SKILL.md'), `---\nname: ${REF}\ndescription: mine\n---\n`);
    const use = (tool_input: Record<string, unknown>) => openCodeAgent.skillCall({ tool_name: 'skill', tool_input, session_id: 's', cwd: place.cwd }, skills());
    expect(use({ name: REF, dir: local })).toBe('not-org-skill');
    expect(use({ name: 'notes--bob' })).toBe('not-org-skill');
    expect(use({ name: 'customize-opencode', dir: '<built-in>' })).toBe('not-org-skill');
  });

  it('no prompt invokes a skill; a reaction’s window ends at the prompt’s time', () => {
    pulled(join(config(), 'skills'));
    expect(openCodeAgent.promptInvocation({ prompt: `/${REF}`, prompt_id: 'msg_1', session_id: 's' }, skills())).toBeUndefined();
    const before = Date.now();
    const offset = openCodeAgent.reactionOffset({ session_id: 's' });
    expect(offset).toBeGreaterThanOrEqual(before);
    expect(offset).toBeLessThanOrEqual(Date.now());
  });
});
