// Small string helpers shared by the core modules. Cuts never split a UTF-16
// surrogate pair, so text handed to a model or stored is always well formed.

/** The first `max` code units of `text`, backing off one unit rather than splitting a surrogate pair. */
export function cutText(text: string, max: number): string {
  const limit = Math.max(0, Math.floor(max));
  if (text.length <= limit) return text;
  return text.slice(0, safeBoundary(text, limit));
}

/** The last `max` code units of `text`, moving forward one unit rather than splitting a surrogate pair. */
export function cutTextEnd(text: string, max: number): string {
  const limit = Math.max(0, Math.floor(max));
  if (text.length <= limit) return text;
  let start = text.length - limit;
  if (isLowSurrogate(text.charCodeAt(start)) && start > 0 && isHighSurrogate(text.charCodeAt(start - 1))) start += 1;
  return text.slice(start);
}

/** `text` shortened to at most `max` characters, ending in "…" when it was cut. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${cutText(text, Math.max(0, max - 1))}…`;
}

/** One line: each line break shown as "⏎", other runs of whitespace collapsed to one space. */
export function oneLine(text: string): string {
  return text
    .trim()
    .replace(/[ \t\f\v]*\r?\n[ \t\f\v]*/g, '⏎')
    .replace(/\s+/g, ' ');
}

function safeBoundary(text: string, end: number): number {
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) return end - 1;
  return end;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
