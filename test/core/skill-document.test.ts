import { describe, expect, it } from 'vitest';
import { SkillDocumentError, documentVersion, parseSkillDocument, renderSkillDocument } from '../../core/skill-document';

describe('SKILL.md documents', () => {
  it('splits frontmatter from body', () => {
    const doc = parseSkillDocument('---\nname: deploy\ndescription: "Use when deploying"\nversion: 2\n---\n\n# Deploy\n\n1. Test.\n');
    expect(doc.frontmatter).toEqual({ name: 'deploy', description: 'Use when deploying', version: 2 });
    expect(doc.body).toBe('# Deploy\n\n1. Test.\n');
  });

  it('round-trips through render, keeping key order', () => {
    const text = renderSkillDocument({ name: 'deploy', description: 'a: b "quoted"', author: 'alice', version: 3 }, '\n# Body\n\ntext\n\n');
    expect(text).toBe('---\nname: deploy\ndescription: \'a: b "quoted"\'\nauthor: alice\nversion: 3\n---\n\n# Body\n\ntext\n');
    expect(parseSkillDocument(text).frontmatter.description).toBe('a: b "quoted"');
    expect(documentVersion(text)).toBe(3);
  });

  it.each([
    ['no frontmatter', '# Just a body\n', /no frontmatter/],
    ['bad YAML', '---\nname: [unclosed\n---\nbody', /not valid YAML/],
    ['a list, not a mapping', '---\n- a\n- b\n---\nbody', /must be a YAML mapping/],
  ])('rejects %s with a one-line error', (_label, text, pattern) => {
    expect(() => parseSkillDocument(text)).toThrow(SkillDocumentError);
    expect(() => parseSkillDocument(text)).toThrow(pattern);
  });

  it.each([
    ['an unquoted ": " in a value', '---\nname: deploy\ndescription: Use when: deploying\n---\nbody', /at line 3, column \d+ \(.*\); put a value that contains ": " in double quotes/],
    ['an unclosed quote', '---\nname: deploy\ndescription: "Use when\n---\nbody', /at line 3, column \d+ .*; close the quote or bracket that was opened$/],
    ['a repeated key', '---\nname: deploy\nname: ship\n---\nbody', /at line 3, column 1 \(map keys must be unique\); keep only one line per key$/],
    ['a tab as indentation', '---\nname: deploy\nmetadata:\n\tteam: web\n---\nbody', /at line 4, column 1 .*; indent with spaces, not tabs$/],
    ['anything else', '---\nname: [unclosed\n---\nbody', /at line 2, column \d+ .*; write one `key: value` per line and put values with ":", "#", "\[" or "\{" in double quotes$/],
  ])('says where the YAML is wrong and what to fix, in one line: %s', (_label, text, pattern) => {
    let message = '';
    try {
      parseSkillDocument(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^SKILL\.md frontmatter is not valid YAML /);
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
  });

  it('has no version when the frontmatter has none or is broken', () => {
    expect(documentVersion('---\nname: x\n---\nbody')).toBeUndefined();
    expect(documentVersion('no frontmatter')).toBeUndefined();
  });
});
