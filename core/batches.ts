// Cutting a list into batches of at most `size` items: queries and requests
// that name many hashes stay below their engines' and payloads' limits.

export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
