import { describe, expect, it } from 'vitest';
import {
  SLOW_UPDATE_END,
  SLOW_UPDATE_START,
  applyEdits,
  parseProposedEdits,
  protectedRange,
  type SkillEdit,
} from '../../core/edits';

const RULES = '## Rules\n1. mock the client\n2. skip flush';
const START = SLOW_UPDATE_START;
const END = SLOW_UPDATE_END;
const WITH_REGION = `# Deploy\n\n1. Run tests.\n\n${START}\nold rule\n${END}\n`;

describe('parseProposedEdits', () => {
  it('reads a fenced JSON array after a diagnosis', () => {
    const text = 'Diagnosis: the skill never says to run tests.\n```json\n[{"op":"insert_after","target":"# Deploy","content":"Run npm test first."}]\n```';
    expect(parseProposedEdits(text)).toEqual([{ op: 'insert_after', target: '# Deploy', content: 'Run npm test first.' }]);
  });

  it('takes the span from the first [ to the last ] without a fence', () => {
    expect(parseProposedEdits('Sure: [{"op":"delete","target":"old [x] rule"}] done')).toEqual([{ op: 'delete', target: 'old [x] rule' }]);
  });

  it('drops a bogus op and a non-object (seed)', () => {
    const text = JSON.stringify([{ op: 'append', content: 'a' }, { op: 'rewrite', content: 'b' }, 'replace', null, [1], { content: 'no op' }]);
    expect(parseProposedEdits(text)).toEqual([{ op: 'append', content: 'a' }]);
  });

  it('keeps target and content only when they are strings', () => {
    const text = JSON.stringify([{ op: 'replace', target: 7, content: { x: 1 }, extra: 'ignored' }]);
    expect(parseProposedEdits(text)).toEqual([{ op: 'replace' }]);
  });

  it.each([
    ['an object', '{"op":"append","content":"x"}'],
    ['broken JSON', '[{"op":"append",'],
    ['prose', 'I would not change anything.'],
    ['nothing', ''],
  ])('returns [] for %s', (_label, text) => {
    expect(parseProposedEdits(text)).toEqual([]);
  });

  it('looks past an earlier fence that quotes code (surpasses the seed)', () => {
    const text = 'The skill tells agents to run:\n```bash\nnpm run deploy -- --env [prod]\n```\nFix:\n```json\n[{"op":"replace","target":"deploy","content":"test && deploy"}]\n```';
    expect(parseProposedEdits(text)).toEqual([{ op: 'replace', target: 'deploy', content: 'test && deploy' }]);
  });

  it('skips an earlier array that holds no edit', () => {
    const text = '```json\n["a","b"]\n```\n```json\n[{"op":"append","content":"c"}]\n```';
    expect(parseProposedEdits(text)).toEqual([{ op: 'append', content: 'c' }]);
  });

  it('accepts an explicit empty array as "no edits"', () => {
    expect(parseProposedEdits('Nothing to fix.\n```json\n[]\n```')).toEqual([]);
  });
});

describe('protectedRange', () => {
  it('spans the first START to the end of the first END', () => {
    const text = `a${START}b${END}c`;
    expect(protectedRange(text)).toEqual({ start: 1, end: 1 + START.length + 1 + END.length });
  });

  it('exists only when END comes after START', () => {
    expect(protectedRange(`${END}x${START}`)).toBeUndefined();
    expect(protectedRange(`${START} never closed`)).toBeUndefined();
    expect(protectedRange('no markers')).toBeUndefined();
  });
});

describe('applyEdits', () => {
  it('inserts after the end of the line holding the target (seed)', () => {
    const result = applyEdits(RULES, [{ op: 'insert_after', target: '1. mock', content: '  (NEVER…)  ' }]);
    expect(result.editedBody).toBe('## Rules\n1. mock the client\n(NEVER…)\n2. skip flush');
    expect(result.report).toEqual(['OK insert_after (+8 chars)']);
    expect(result.changed).toBe(true);
  });

  it('inserts after the line when the target ends with its newline', () => {
    const result = applyEdits(RULES, [{ op: 'insert_after', target: '1. mock the client\n', content: 'x' }]);
    expect(result.editedBody).toBe('## Rules\n1. mock the client\nx\n2. skip flush');
  });

  it('inserts at the end when the target is on the last line', () => {
    expect(applyEdits(RULES, [{ op: 'insert_after', target: 'skip', content: '3. flush' }]).editedBody).toBe(`${RULES}\n3. flush`);
  });

  it('deletes the target (seed)', () => {
    const result = applyEdits(RULES, [{ op: 'delete', target: '\n2. skip flush' }]);
    expect(result.editedBody).toBe('## Rules\n1. mock the client');
    expect(result.report).toEqual(['OK delete (-14 chars)']);
  });

  it('replaces the first occurrence only, content untrimmed', () => {
    const result = applyEdits('a x a x', [{ op: 'replace', target: 'x', content: ' y ' }]);
    expect(result.editedBody).toBe('a  y  a x');
    expect(result.report).toEqual(['OK replace (-1 +3 chars)']);
  });

  it('treats a replace without content as removal', () => {
    expect(applyEdits(RULES, [{ op: 'replace', target: ' the client' }]).editedBody).toBe('## Rules\n1. mock\n2. skip flush');
  });

  it('appends after the trimmed text and ignores a target', () => {
    const result = applyEdits('# T\n\nbody\n\n\n', [{ op: 'append', target: 'body', content: '\n  New rule.  \n' }]);
    expect(result.editedBody).toBe('# T\n\nbody\n\nNew rule.\n');
    expect(result.report).toEqual(['OK append (+9 chars)']);
  });

  it('appends to an empty body without leading blank lines', () => {
    expect(applyEdits('', [{ op: 'append', content: 'Only rule.' }]).editedBody).toBe('Only rule.\n');
  });

  it('appends just before the slow-update region when there is one (seed)', () => {
    const result = applyEdits(WITH_REGION, [{ op: 'append', content: 'New rule.' }]);
    expect(result.editedBody).toBe(`# Deploy\n\n1. Run tests.\n\nNew rule.\n\n${START}\nold rule\n${END}\n`);
  });

  it('skips a delete that touches the region, whole or in part (seed)', () => {
    for (const target of ['old rule', START, `tests.\n\n${START}`, `${END}\n`]) {
      const result = applyEdits(WITH_REGION, [{ op: 'delete', target }]);
      expect(result.report).toEqual(['SKIP delete: targets protected slow-update region']);
      expect(result.editedBody).toBe(WITH_REGION);
      expect(result.changed).toBe(false);
    }
  });

  it('skips replace and insert_after whose target is inside the region', () => {
    const result = applyEdits(WITH_REGION, [
      { op: 'replace', target: 'old rule', content: 'new rule' },
      { op: 'insert_after', target: 'old rule', content: 'more' },
    ]);
    expect(result.report).toEqual(['SKIP replace: targets protected slow-update region', 'SKIP insert_after: targets protected slow-update region']);
    expect(result.changed).toBe(false);
  });

  it('never inserts inside the region from a target on the START line (seed gap)', () => {
    const body = `## Notes ${START}\nhuman-owned\n${END}\n`;
    const result = applyEdits(body, [{ op: 'insert_after', target: '## Notes', content: 'sneaky' }]);
    expect(result.report).toEqual(['SKIP insert_after: would insert inside protected slow-update region']);
    expect(result.editedBody).toBe(body);
  });

  it('still inserts right above a region whose START opens its own line', () => {
    const result = applyEdits(WITH_REGION, [{ op: 'insert_after', target: '1. Run tests.', content: '2. Build.' }]);
    expect(result.editedBody).toBe(`# Deploy\n\n1. Run tests.\n2. Build.\n\n${START}\nold rule\n${END}\n`);
  });

  it.each<[SkillEdit['op'], SkillEdit]>([
    ['append', { op: 'append', content: `x ${START}` }],
    ['insert_after', { op: 'insert_after', target: '# Deploy', content: `${END}\nx` }],
    ['replace', { op: 'replace', target: '1. Run tests.', content: `${START}\nmine\n${END}` }],
  ])('skips %s whose new content holds a marker (seed gap)', (op, edit) => {
    const result = applyEdits(WITH_REGION, [edit]);
    expect(result.report).toEqual([`SKIP ${op}: content contains a protected-region marker`]);
    expect(result.editedBody).toBe(WITH_REGION);
  });

  it('skips an edit that would forge or remove a marker even without a region', () => {
    const forged = applyEdits('a <!-- SLOW_UPDATE_ST|ART --> b', [{ op: 'delete', target: '|' }]);
    expect(forged.report).toEqual(['SKIP delete: would alter protected slow-update region']);
    const lone = `intro\n${START}\nnever closed`;
    const removed = applyEdits(lone, [{ op: 'delete', target: START }]);
    expect(removed.report).toEqual(['SKIP delete: would alter protected slow-update region']);
    expect(removed.editedBody).toBe(lone);
  });

  it('edits freely when END precedes START (no region, as in the seed)', () => {
    const body = `${END}\nrule\n${START}`;
    expect(applyEdits(body, [{ op: 'replace', target: 'rule', content: 'better rule' }]).editedBody).toBe(`${END}\nbetter rule\n${START}`);
  });

  it('recomputes the region on the evolving text', () => {
    const result = applyEdits(WITH_REGION, [
      { op: 'append', content: 'A much longer new rule that shifts every offset.' },
      { op: 'replace', target: 'old rule', content: 'x' },
      { op: 'insert_after', target: 'A much longer', content: 'Follow-up.' },
    ]);
    expect(result.report).toEqual([
      'OK append (+48 chars)',
      'SKIP replace: targets protected slow-update region',
      'OK insert_after (+10 chars)',
    ]);
    expect(result.editedBody).toContain(`offset.\nFollow-up.\n\n${START}\nold rule\n${END}`);
  });

  it('applies edits in order, each on the text left by the previous one', () => {
    const result = applyEdits(RULES, [
      { op: 'insert_after', target: '1. mock', content: '1b. check the mock' },
      { op: 'replace', target: '1b.', content: '1.5.' },
    ]);
    expect(result.editedBody).toBe('## Rules\n1. mock the client\n1.5. check the mock\n2. skip flush');
  });

  it.each<[string, SkillEdit, string]>([
    ['append without content', { op: 'append', content: '   ' }, 'SKIP append: empty content'],
    ['insert_after without target', { op: 'insert_after', content: 'x' }, 'SKIP insert_after: missing target/content'],
    ['insert_after with blank content', { op: 'insert_after', target: 'Rules', content: ' \n ' }, 'SKIP insert_after: missing target/content'],
    ['insert_after on a missing target', { op: 'insert_after', target: 'nope', content: 'x' }, 'SKIP insert_after: target not found'],
    ['replace without target', { op: 'replace', content: 'x' }, 'SKIP replace: missing target'],
    ['replace with an empty target', { op: 'replace', target: '', content: 'x' }, 'SKIP replace: missing target'],
    ['replace on a missing target', { op: 'replace', target: 'nope', content: 'x' }, 'SKIP replace: target not found'],
    ['delete without target', { op: 'delete' }, 'SKIP delete: missing target'],
    ['delete on a missing target', { op: 'delete', target: 'nope' }, 'SKIP delete: target not found'],
    ['an unknown op', { op: 'rewrite' } as unknown as SkillEdit, 'SKIP unknown op: rewrite'],
  ])('skips %s with a report line, never an error', (_label, edit, line) => {
    const result = applyEdits(RULES, [edit]);
    expect(result.report).toEqual([line]);
    expect(result.editedBody).toBe(RULES);
    expect(result.changed).toBe(false);
    expect(result.applied).toEqual([]);
  });

  it('reports a replace with identical text as no change, so nothing identical is published', () => {
    const result = applyEdits(RULES, [{ op: 'replace', target: '2. skip flush', content: '2. skip flush' }]);
    expect(result.report).toEqual(['SKIP replace: no change']);
    expect(result.changed).toBe(false);
  });

  it('is unchanged when edits cancel out', () => {
    const result = applyEdits(RULES, [
      { op: 'replace', target: 'skip', content: 'do' },
      { op: 'replace', target: 'do flush', content: 'skip flush' },
    ]);
    expect(result.report).toEqual(['OK replace (-4 +2 chars)', 'OK replace (-8 +10 chars)']);
    expect(result.editedBody).toBe(RULES);
    expect(result.changed).toBe(false);
  });

  it('keeps the first `budget` edits; skipped ones still use budget (seed)', () => {
    const appends: SkillEdit[] = [1, 2, 3].map((n) => ({ op: 'append', content: `rule ${n}` }));
    const one = applyEdits('# T', appends, { budget: 1 });
    expect(one.edits).toEqual([appends[0]]);
    expect(one.editedBody).toBe('# T\n\nrule 1\n');

    const skippedFirst = applyEdits('# T', [{ op: 'delete', target: 'nope' }, ...appends], { budget: 2 });
    expect(skippedFirst.edits).toHaveLength(2);
    expect(skippedFirst.applied).toEqual([appends[0]]);
    expect(skippedFirst.report).toEqual(['SKIP delete: target not found', 'OK append (+6 chars)']);
  });

  it('defaults the budget to 3 and treats a negative one as 0', () => {
    const appends: SkillEdit[] = [1, 2, 3, 4].map((n) => ({ op: 'append', content: `rule ${n}` }));
    expect(applyEdits('# T', appends).report).toHaveLength(3);
    const none = applyEdits('# T', appends, { budget: -2 });
    expect(none).toEqual({ edits: [], applied: [], editedBody: '# T', report: [], changed: false });
  });
});
