// The diff of two versions of a skill, shared by `skillopt skills diff` and the dashboard.
import { createTwoFilesPatch } from 'diff';
import { renderSkillDocument } from '../core/skill-document';
import type { SkillVersion } from '../team/skill-source';

/**
 * What `diff` compares: the versioned parts of a SKILL.md, i.e. the description
 * (as frontmatter) and the body. Version, dates and contributors always differ, so they are left out.
 */
function versionedText(v: SkillVersion): string {
  return renderSkillDocument({ description: v.description }, v.body);
}

/** Unified diff of two versions' descriptions and bodies. */
export function diffVersions(ref: string, from: SkillVersion, to: SkillVersion): string {
  return createTwoFilesPatch(`${ref}@v${from.version}`, `${ref}@v${to.version}`, versionedText(from), versionedText(to), from.createdAt, to.createdAt);
}
