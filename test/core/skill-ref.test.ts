import { describe, expect, it } from 'vitest';
import {
  InvalidSkillRefError,
  formatSkillRef,
  parseSkillRef,
  skillRefFromWorkflowId,
  tryParseSkillRef,
  workflowIdForSkill,
} from '../../core/skill-ref';

describe('skill refs', () => {
  it('splits <name>--<author>', () => {
    expect(parseSkillRef('some-skill--first-last')).toEqual({ name: 'some-skill', author: 'first-last' });
    expect(parseSkillRef('posthog--kamo@activeloop.ai')).toEqual({ name: 'posthog', author: 'kamo@activeloop.ai' });
  });

  it('splits at the first "--", since kebab names cannot contain it', () => {
    expect(parseSkillRef('deploy--blue--green')).toEqual({ name: 'deploy', author: 'blue--green' });
    expect(formatSkillRef(parseSkillRef('deploy--blue--green'))).toBe('deploy--blue--green');
  });

  it.each(['baz--', '--alice', 'ok--..%2f', 'a--b/c', 'a--b\\c', 'plugin:x--y', 'Deploy--alice', 'bare-name', 'a--..', ''])(
    'rejects %j with a one-line reason',
    (ref) => {
      expect(() => parseSkillRef(ref)).toThrow(InvalidSkillRefError);
      expect(tryParseSkillRef(ref)).toBeUndefined();
      try {
        parseSkillRef(ref);
      } catch (err) {
        expect((err as Error).message).not.toContain('\n');
      }
    },
  );

  it('round-trips a long name through the workflow id unchanged', () => {
    const name = Array.from({ length: 20 }, (_, i) => `part${i}`).join('-').slice(0, 100).replace(/-$/, '');
    const ref = { name, author: 'alice' };
    expect(name.length).toBeGreaterThan(64);
    expect(skillRefFromWorkflowId(workflowIdForSkill(ref))).toEqual(ref);
  });

  it('rejects names over 100 characters', () => {
    expect(() => parseSkillRef(`${'a'.repeat(101)}--alice`)).toThrow(/longer than 100/);
  });
});
