// pi as the hooks see it (agents/pi/agent.ts), and where sessions pull and
// doctor looks when skills sit in the agents' shared folder: real folders in a
// temporary home, the pure rules in-process.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPlace, PulledSkills } from '../../agents/agent';
import { piAgent } from '../../agents/pi/agent';
import { AGENTS, agentInstallRoots, agentsReading } from '../../agents/registry';
import { pulledSkillFolders } from '../../agents/skill-folders';
import { sessionPullRoots } from '../../agents/skills-in-context';
import { emptyManifest, upsertEntry, type Manifest } from '../../core/manifest';

const REF = 'deploy--alice';
let dir: string;
let place: AgentPlace;
let manifest: Manifest;

/** A skill folder pull installed under `root` (on disk and in the manifest). */
function pulled(root: string, dirName = REF): void {
  mkdirSync(join(root, dirName), { recursive: true });
  writeFileSync(join(root, dirName, 'SKILL.md'), `---\nname: ${dirName}\ndescription: d\n---\nbody\n`);
  manifest = upsertEntry(manifest, { dirName, name: dirName.split('--')[0]!, author: dirName.split('--')[1]!, version: 1, scope: 'user', root, pulledAt: '' });
}

const skills = (): PulledSkills => ({ manifest: () => manifest, place });
const piRoots = () => agentInstallRoots('pi', place);
const sharedRoot = () => agentInstallRoots('agents', place).user;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-pi-agent-'));
  const home = join(dir, 'home');
  const cwd = join(dir, 'work', 'project');
  mkdirSync(join(dir, 'work', '.git'), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  place = { home, cwd, env: { HOME: home } };
  manifest = emptyManifest();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pi: where it loads skills from', () => {
  it('the project first (.pi/skills, then .agents/skills up to the git root), then the agent folder, then ~/.agents/skills', () => {
    expect(piAgent.skillRoots(place)).toEqual([
      join(place.cwd, '.pi', 'skills'),
      join(place.cwd, '.agents', 'skills'),
      join(dir, 'work', '.agents', 'skills'),
      join(place.home, '.pi', 'agent', 'skills'),
      join(place.home, '.agents', 'skills'),
    ]);
    expect(piAgent.installRoots({ ...place, env: { HOME: place.home, PI_CODING_AGENT_DIR: '~/pi' } }).user).toBe(join(place.home, 'pi', 'skills'));
    // The shared folder is read by Codex and pi, not by Claude Code.
    expect(agentsReading(sharedRoot(), place)).toEqual(['codex', 'pi', 'gemini', 'copilot', 'opencode']);
  });
});

describe('pi: a tool result that uses a pulled skill', () => {
  const read = (path: string) => piAgent.skillCall({ tool_name: 'read', tool_input: { path } }, skills());

  it('arms on a read of <root>/<name>--<author>/SKILL.md that pull installed, however pi was given the path', () => {
    pulled(piRoots().user);
    const file = join(piRoots().user, REF, 'SKILL.md');
    for (const path of [file, `@${file}`, `~/.pi/agent/skills/${REF}/SKILL.md`]) {
      expect(read(path), path).toMatchObject({ ref: { name: 'deploy', author: 'alice' }, install: { root: piRoots().user } });
    }
    // Relative to the session's folder.
    pulled(join(place.cwd, '.pi', 'skills'));
    expect(read(`.pi/skills/${REF}/SKILL.md`)).toMatchObject({ install: { root: join(place.cwd, '.pi', 'skills') } });
  });

  it('arms on a pulled skill in the agents’ shared folder too, and on a `cat` of SKILL.md through bash', () => {
    pulled(sharedRoot());
    expect(read(join(sharedRoot(), REF, 'SKILL.md'))).toMatchObject({ install: { root: sharedRoot() } });
    expect(piAgent.skillCall({ tool_name: 'bash', tool_input: { command: `cat ${join(sharedRoot(), REF, 'SKILL.md')}` } }, skills())).toMatchObject({ install: { root: sharedRoot() } });
  });

  it('never arms on a local skill of the same name, another file, or another tool', () => {
    pulled(sharedRoot());
    // Pull installed deploy--alice in the shared folder; this one in pi's own folder is the user's.
    mkdirSync(join(piRoots().user, REF), { recursive: true });
    expect(read(join(piRoots().user, REF, 'SKILL.md'))).toBe('not-org-skill');
    expect(read(join(sharedRoot(), REF, 'notes.md'))).toBe('not-skill-tool');
    expect(piAgent.skillCall({ tool_name: 'edit', tool_input: { path: join(sharedRoot(), REF, 'SKILL.md') } }, skills())).toBe('not-skill-tool');
    expect(piAgent.skillCall({ tool_name: 'read', tool_input: {} }, skills())).toBe('not-skill-tool');
  });
});

describe('pi: a prompt typed as /skill:<name>--<author>', () => {
  it('invokes the pulled skill pi loads for that name, named by the prompt', () => {
    pulled(sharedRoot());
    expect(piAgent.promptInvocation({ prompt: `/skill:${REF} deploy it`, prompt_id: 'p1' }, skills())).toMatchObject({ ref: { name: 'deploy', author: 'alice' }, id: 'p1' });
    expect(piAgent.promptInvocation({ prompt: `please /skill:${REF}`, prompt_id: 'p1' }, skills())).toBeUndefined();
    expect(piAgent.promptInvocation({ prompt: '/skill:notes--bob', prompt_id: 'p1' }, skills())).toBeUndefined();
  });

  it('is not the shared install when pi loads a local skill of that name first', () => {
    pulled(sharedRoot());
    // The project's .pi/skills comes before ~/.agents/skills.
    mkdirSync(join(place.cwd, '.pi', 'skills', REF), { recursive: true });
    expect(piAgent.promptInvocation({ prompt: `/skill:${REF}`, prompt_id: 'p1' }, skills())).toBeUndefined();
  });
});

describe('where a session pulls, and a skill an agent would list twice', () => {
  it('a session pulls into the folders its agent reads that pull installed into, else its own', () => {
    expect(sessionPullRoots(piAgent, manifest, place)).toEqual([piRoots().user]);
    pulled(sharedRoot());
    expect(sessionPullRoots(piAgent, manifest, place)).toEqual([sharedRoot()]);
    expect(sessionPullRoots(AGENTS.codex, manifest, place)).toEqual([sharedRoot()]);
    // Claude Code does not read the shared folder: its own.
    expect(sessionPullRoots(AGENTS.claude, manifest, place)).toEqual([agentInstallRoots('claude', place).user]);
  });

  it('doctor: folders with what reads them; a skill in pi’s folder and the shared one is listed twice by pi, until one copy goes', () => {
    pulled(sharedRoot());
    expect(pulledSkillFolders(manifest, place, existsSync)).toEqual({ folders: [{ root: sharedRoot(), skills: 1, readBy: ['codex', 'pi', 'gemini', 'copilot', 'opencode'] }], listedTwice: [] });
    pulled(piRoots().user);
    expect(pulledSkillFolders(manifest, place, existsSync).listedTwice).toEqual([{ agent: 'pi', dirName: REF, roots: [piRoots().user, sharedRoot()] }]);
    expect(sessionPullRoots(piAgent, manifest, place)).toEqual([piRoots().user, sharedRoot()]);
    rmSync(join(piRoots().user, REF), { recursive: true });
    expect(pulledSkillFolders(manifest, place, existsSync).listedTwice).toEqual([]);
    expect(sessionPullRoots(piAgent, manifest, place)).toEqual([sharedRoot()]);
  });
});
