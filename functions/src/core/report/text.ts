/** Pads cells into aligned columns; the last column is left ragged. */
export function columns(rows: string[][], gap = 2): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + gap))).join('').trimEnd())
    .join('\n');
}

export function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => (line ? prefix + line : line))
    .join('\n');
}

/** Wraps prose at word boundaries for terminals. */
export function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

const UNITS: readonly [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/**
 * A duration in its two largest units, rounded down: 45s, 12m 5s, 2h 30m, 3d 4h. A zero second
 * unit is left out (45m, 2h, 1d), so a threshold of 45 minutes reads as people say it.
 */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const index = UNITS.findIndex(([, size]) => seconds >= size);
  if (index < 0) return '0s';
  const [unit, size] = UNITS[index]!;
  const text = `${Math.floor(seconds / size)}${unit}`;
  const next = UNITS[index + 1];
  if (!next) return text;
  const rest = Math.floor((seconds % size) / next[1]);
  return rest > 0 ? `${text} ${rest}${next[0]}` : text;
}

/** Code fences that survive content containing backticks. */
export function fence(body: string, language = ''): string {
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${body.trimEnd()}\n${ticks}`;
}
