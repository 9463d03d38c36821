// Pulls one JSON value out of a model's free-form reply. Models wrap JSON in
// prose and code fences; the first fenced block is the likeliest answer, so it
// is tried first (non-greedy, as the seed did). A reply that quotes code in an
// earlier fence, or whose JSON itself holds a fence, would lose the seed's
// answer; later fences and then the whole reply are tried before giving up.

const FENCE = /```(?:json)?\s*([\s\S]*?)```/gi;

/**
 * The first candidate (fenced blocks in order, then the whole text) whose span
 * from the first `open` to the last `close` parses as JSON accepted by `accept`.
 */
export function extractJson<T>(text: string, open: '{' | '[', close: '}' | ']', accept: (value: unknown) => value is T): T | undefined {
  for (const candidate of candidates(text)) {
    const value = parseSpan(candidate, open, close);
    if (value !== undefined && accept(value)) return value;
  }
  return undefined;
}

function candidates(text: string): string[] {
  const fenced = [...text.matchAll(FENCE)].map((m) => m[1] ?? '');
  return [...fenced, text];
}

function parseSpan(text: string, open: string, close: string): unknown {
  const start = text.indexOf(open);
  const end = text.lastIndexOf(close);
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1)) as unknown;
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
