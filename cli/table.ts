// Aligned plain-text columns for human output (no colours: it is piped and grepped).

export function formatTable(headers: string[], rows: string[][], options: { alignRight?: number[] } = {}): string {
  const right = new Set(options.alignRight ?? []);
  const widths = headers.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, col) => {
        const last = col === cells.length - 1;
        if (right.has(col)) return cell.padStart(widths[col]!);
        return last ? cell : cell.padEnd(widths[col]!);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
