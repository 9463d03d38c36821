// Which folders hold the skills pull installed, which agents read each, and
// which pulled skill an agent would list twice (installed in two folders it
// reads: its own and the agents' shared one): `skillopt doctor`.
import { join } from 'node:path';
import type { Manifest } from '../core/manifest';
import type { AgentPlace } from './agent';
import { AGENTS, AGENT_NAMES, agentsReading, type AgentName } from './registry';

export interface PulledFolder {
  root: string;
  /** Pulled skills whose folder is there. */
  skills: number;
  /** The agents that load skills from it (at this place: the project roots are the working folder's). */
  readBy: AgentName[];
}

export interface SkillListedTwice {
  agent: AgentName;
  dirName: string;
  /** The folders it reads that hold the skill, the one whose copy it loads first. */
  roots: string[];
}

export function pulledSkillFolders(manifest: Manifest, place: AgentPlace, exists: (dir: string) => boolean): { folders: PulledFolder[]; listedTwice: SkillListedTwice[] } {
  const present = manifest.entries.filter((e) => exists(join(e.root, e.dirName)));
  const folders = [...new Set(present.map((e) => e.root))].map((root) => ({
    root,
    skills: present.filter((e) => e.root === root).length,
    readBy: agentsReading(root, place),
  }));
  const listedTwice = AGENT_NAMES.flatMap((agent) => {
    const roots = AGENTS[agent].skillRoots(place);
    return [...new Set(present.map((e) => e.dirName))].flatMap((dirName): SkillListedTwice[] => {
      const holding = roots.filter((root) => present.some((e) => e.root === root && e.dirName === dirName));
      return holding.length > 1 ? [{ agent, dirName, roots: holding }] : [];
    });
  });
  return { folders, listedTwice };
}
