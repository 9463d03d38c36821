import { describe, expect, it } from 'vitest';
import { editStatusForVerdict, priorEditLines, summarizeEdit, type PriorEditRecord } from '../../core/edit-memory';
import { MAX_PRIOR_EDIT_SUMMARIES, MAX_SUMMARY_QUOTE_CHARS } from '../../core/limits';

describe('summarizeEdit', () => {
  it('renders each op in the seed style', () => {
    expect(summarizeEdit({ op: 'delete', target: 'old rule' })).toBe('delete @"old rule"');
    expect(summarizeEdit({ op: 'append', content: 'Never deploy on Fridays.' })).toBe('append "Never deploy on Fridays."');
    expect(summarizeEdit({ op: 'insert_after', target: '## Deploy', content: 'Check staging.' })).toBe('insert_after @"## Deploy" "Check staging."');
    expect(summarizeEdit({ op: 'replace', target: 'run tests', content: 'run npm test' })).toBe('replace @"run tests" → "run npm test"');
  });

  it('renders missing parts as empty quotes', () => {
    expect(summarizeEdit({ op: 'replace', target: 'x' })).toBe('replace @"x" → ""');
    expect(summarizeEdit({ op: 'append' })).toBe('append ""');
  });

  it('shows line breaks as ⏎ and collapses other whitespace', () => {
    expect(summarizeEdit({ op: 'append', content: '  1. a\n2.   b\r\n\t3. c  ' })).toBe('append "1. a⏎2. b⏎3. c"');
  });

  it('shortens each quoted part with an ellipsis', () => {
    const long = 'word '.repeat(60);
    const summary = summarizeEdit({ op: 'replace', target: long, content: long });
    const parts = [...summary.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(parts).toHaveLength(2);
    for (const part of parts) {
      expect(part.length).toBe(MAX_SUMMARY_QUOTE_CHARS);
      expect(part.endsWith('…')).toBe(true);
    }
  });
});

describe('priorEditLines', () => {
  const records: PriorEditRecord[] = [
    { summaries: ['append "a"'], status: 'applied', publishedVersion: 2 },
    { summaries: ['replace @"x" → "y"', 'delete @"z"'], status: 'reverted', publishedVersion: 3 },
    { summaries: ['append "b"'], status: 'proposed', publishedVersion: 4 },
  ];

  it('lists every summary labelled with its outcome, newest version first', () => {
    expect(priorEditLines(records)).toEqual([
      '- [proposed in v4] append "b"',
      '- [reverted in v3] replace @"x" → "y"',
      '- [reverted in v3] delete @"z"',
      '- [applied in v2] append "a"',
    ]);
  });

  it('orders by version whatever the input order', () => {
    expect(priorEditLines([...records].reverse())).toEqual(priorEditLines(records));
  });

  it('caps the lines, keeping the newest', () => {
    expect(priorEditLines(records, 2)).toEqual(['- [proposed in v4] append "b"', '- [reverted in v3] replace @"x" → "y"']);
    expect(priorEditLines(records, 0)).toEqual([]);
    const many = Array.from({ length: 30 }, (_, i): PriorEditRecord => ({ summaries: [`append "${i}"`], status: 'applied', publishedVersion: i + 2 }));
    const lines = priorEditLines(many);
    expect(lines).toHaveLength(MAX_PRIOR_EDIT_SUMMARIES);
    expect(lines[0]).toBe('- [applied in v31] append "29"');
  });

  it('is empty with no records', () => {
    expect(priorEditLines([])).toEqual([]);
  });
});

describe('editStatusForVerdict', () => {
  it('maps a pass to applied and a failure to reverted', () => {
    expect(editStatusForVerdict(true)).toBe('applied');
    expect(editStatusForVerdict(false)).toBe('reverted');
  });
});
