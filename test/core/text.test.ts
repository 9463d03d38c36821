import { describe, expect, it } from 'vitest';
import { cutText, cutTextEnd, oneLine, shorten } from '../../core/text';

describe('text helpers', () => {
  it('cuts without splitting a surrogate pair', () => {
    expect(cutText('ab😀', 3)).toBe('ab');
    expect(cutText('ab😀', 4)).toBe('ab😀');
    expect(cutTextEnd('😀ab', 3)).toBe('ab');
    expect(cutTextEnd('😀ab', 4)).toBe('😀ab');
    expect(cutText('abc', -1)).toBe('');
  });

  it('shortens with an ellipsis only when needed', () => {
    expect(shorten('abcdef', 6)).toBe('abcdef');
    expect(shorten('abcdefg', 6)).toBe('abcde…');
  });

  it('puts text on one line', () => {
    expect(oneLine('  a \r\n  b\t\tc \n\n d ')).toBe('a⏎b c⏎⏎d');
  });
});
