import { describe, expect, it } from 'vitest';
import type { SkillEdit } from '../../core/edits';
import { editFingerprint } from '../../core/fingerprint';

const A: SkillEdit = { op: 'replace', target: 'run tests', content: 'run `npm test` and read the output' };
const B: SkillEdit = { op: 'insert_after', target: '## Deploy', content: 'Check staging first.' };
const C: SkillEdit = { op: 'append', content: 'Never deploy on Fridays.' };

describe('editFingerprint', () => {
  it('is a sha256 hex digest', () => {
    expect(editFingerprint([A])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is "" for no edits, meaning nothing to record', () => {
    expect(editFingerprint([])).toBe('');
  });

  it('ignores the order of the edits', () => {
    expect(editFingerprint([A, B, C])).toBe(editFingerprint([C, A, B]));
  });

  it('ignores line endings, trailing whitespace and blank lines around the text', () => {
    const crlf: SkillEdit = { op: 'replace', target: 'run tests  \r\n', content: '\n\nrun `npm test` and read the output\t\r\n\n' };
    expect(editFingerprint([crlf])).toBe(editFingerprint([A]));
    const lines = (eol: string): SkillEdit => ({ op: 'append', content: ['```yaml', 'deploy:', '  steps:', '    - test   ', '```'].join(eol) });
    expect(editFingerprint([lines('\r\n')])).toBe(editFingerprint([lines('\n')]));
  });

  it('keeps indentation and line breaks: an edit that only fixes YAML indentation is a new idea', () => {
    const wrong: SkillEdit = { op: 'append', content: '```yaml\ndeploy:\nsteps:\n  - test\n```' };
    const fixed: SkillEdit = { op: 'append', content: '```yaml\ndeploy:\n  steps:\n    - test\n```' };
    expect(editFingerprint([fixed])).not.toBe(editFingerprint([wrong]));
    expect(editFingerprint([{ ...A, content: '  run `npm test` and read the output' }])).not.toBe(editFingerprint([A]));
    expect(editFingerprint([{ ...A, content: 'run `npm test`\nand read the output' }])).not.toBe(editFingerprint([A]));
  });

  it('changes with the op, the target or the content', () => {
    const base = editFingerprint([A]);
    expect(editFingerprint([{ ...A, op: 'insert_after' }])).not.toBe(base);
    expect(editFingerprint([{ ...A, target: 'run the tests' }])).not.toBe(base);
    expect(editFingerprint([{ ...A, content: 'run `npm test`' }])).not.toBe(base);
  });

  it('cannot be fooled by moving text between target and content', () => {
    expect(editFingerprint([{ op: 'replace', target: 'a b', content: 'c' }])).not.toBe(editFingerprint([{ op: 'replace', target: 'a', content: 'b c' }]));
  });

  it('treats a missing part like an empty one (a replace without content removes its target)', () => {
    expect(editFingerprint([{ op: 'replace', target: 'x' }])).toBe(editFingerprint([{ op: 'replace', target: 'x', content: '' }]));
  });

  it('counts a repeated edit', () => {
    expect(editFingerprint([C, C])).not.toBe(editFingerprint([C]));
  });
});
