import { describe, expect, it } from 'vitest';
import { MAX_VERDICT_REASON_CHARS } from '../../core/limits';
import { UNPARSEABLE_REASON, conservativeVerdict, parseVerdict } from '../../core/verdict';

describe('parseVerdict', () => {
  it('reads a plain JSON verdict', () => {
    expect(parseVerdict('{"success":0,"confidence":0.9,"reason":"tests were skipped"}')).toEqual({
      success: false,
      confidence: 0.9,
      reason: 'tests were skipped',
    });
    expect(parseVerdict('{"success":1,"confidence":0.7,"reason":"deployed and verified"}')).toEqual({
      success: true,
      confidence: 0.7,
      reason: 'deployed and verified',
    });
  });

  it('clamps confidence into [0,1] (seed: false/2 → 0/1, "0"/-1 → 0/0)', () => {
    expect(parseVerdict('{"success":false,"confidence":2}')).toEqual({ success: false, confidence: 1, reason: '' });
    expect(parseVerdict('{"success":"0","confidence":-1}')).toEqual({ success: false, confidence: 0, reason: '' });
  });

  it('fails only on success 0, "0" or false', () => {
    for (const failing of ['0', '"0"', 'false']) {
      expect(parseVerdict(`{"success":${failing}}`).success).toBe(false);
    }
    for (const passing of ['1', '"1"', 'true', 'null', '"no"', '0.0001', '[]', '{}']) {
      expect(parseVerdict(`{"success":${passing}}`).success).toBe(true);
    }
    expect(parseVerdict('{"confidence":0.8,"reason":"no success field"}').success).toBe(true);
  });

  it('defaults a non-numeric confidence to 0.5', () => {
    expect(parseVerdict('{"success":0,"confidence":"high"}').confidence).toBe(0.5);
    expect(parseVerdict('{"success":0}').confidence).toBe(0.5);
    expect(parseVerdict('{"success":0,"confidence":null}').confidence).toBe(0.5);
  });

  it('keeps a string reason cut to the limit, else ""', () => {
    const long = 'x'.repeat(MAX_VERDICT_REASON_CHARS + 50);
    expect(parseVerdict(JSON.stringify({ success: 0, reason: long })).reason).toBe('x'.repeat(MAX_VERDICT_REASON_CHARS));
    expect(parseVerdict('{"success":0,"reason":42}').reason).toBe('');
    expect(parseVerdict('{"success":0,"reason":["a"]}').reason).toBe('');
  });

  it('never splits a surrogate pair when cutting the reason', () => {
    const reason = `${'a'.repeat(MAX_VERDICT_REASON_CHARS - 1)}😀tail`;
    const cut = parseVerdict(JSON.stringify({ success: 0, reason })).reason;
    expect(cut).toBe('a'.repeat(MAX_VERDICT_REASON_CHARS - 1));
    expect(cut).not.toMatch(/[\uD800-\uDBFF]$/);
  });

  it('uses the first fenced block, non-greedy', () => {
    const text = 'Verdict:\n```json\n{"success":0,"confidence":0.8,"reason":"first"}\n```\nand later\n```\n{"success":1,"reason":"second"}\n```';
    expect(parseVerdict(text)).toEqual({ success: false, confidence: 0.8, reason: 'first' });
    expect(parseVerdict('```{"success":0,"reason":"one line"}```').reason).toBe('one line');
  });

  it('takes the span from the first { to the last } around prose', () => {
    expect(parseVerdict('Here it is: {"success":0,"reason":"a {nested} brace"} hope that helps')).toEqual({
      success: false,
      confidence: 0.5,
      reason: 'a {nested} brace',
    });
  });

  it('falls back past a fence that holds no verdict (surpasses the seed)', () => {
    const text = 'The user ran:\n```bash\nnpm test\n```\n{"success":0,"confidence":0.9,"reason":"tests failed"}';
    expect(parseVerdict(text)).toEqual({ success: false, confidence: 0.9, reason: 'tests failed' });
  });

  it.each([
    ['rambling prose', 'The assistant seems to have done fine, I think, mostly.'],
    ['broken JSON', '{"success":0,'],
    ['an empty reply', ''],
    ['a value that is not an object', '{"success":0} is what I would say, but } here'],
    ['braces in the wrong order', '} {'],
  ])('reads %s as a conservative pass', (_label, text) => {
    expect(parseVerdict(text)).toEqual({ success: true, confidence: 0, reason: UNPARSEABLE_REASON });
  });
});

describe('conservativeVerdict', () => {
  it('passes with no confidence, so a flaky judge never manufactures a failure', () => {
    expect(conservativeVerdict('empty window')).toEqual({ success: true, confidence: 0, reason: 'empty window' });
    expect(conservativeVerdict(`judge failed: ${'e'.repeat(500)}`).reason).toHaveLength(MAX_VERDICT_REASON_CHARS);
  });
});
