const GAP = 2;

/**
 * Pads cells into aligned columns; the last column is left ragged. When the rows are wider than
 * `width`, the widest columns are narrowed and their cells wrap at word boundaries, so no word is
 * cut: a column is never narrower than its longest word, and a line passes `width` only when
 * even those do not fit. A row that is a string is a line of its own between the rows (what a
 * row reported, under it), printed as it is and left out of the columns' widths.
 */
export function columns(lines: readonly (readonly string[] | string)[], width = Number.POSITIVE_INFINITY): string {
  const rows = lines.filter((line): line is readonly string[] => typeof line !== 'string');
  const count = rows.reduce((most, row) => Math.max(most, row.length), 0);
  // Reduced, not spread into Math.max: a table of every stored finding can have many thousand rows.
  const widest = (length: (cell: string) => number) => Array.from({ length: count }, (_, i) => rows.reduce((most, row) => Math.max(most, length(row[i] ?? '')), 0));
  const widths = widest((cell) => cell.length);
  const narrowest = widest((cell) => breakable(cell).reduce((most, piece) => Math.max(most, piece.text.length), 0));
  let excess = widths.reduce((sum, each) => sum + each, GAP * (count - 1)) - width;
  while (excess > 0) {
    const narrowed = widths.reduce((best, each, i) => (each > narrowest[i]! && (best < 0 || each > widths[best]!) ? i : best), -1);
    if (narrowed < 0) break;
    widths[narrowed]!--;
    excess--;
  }
  return lines
    .flatMap((row) => {
      if (typeof row === 'string') return [row];
      const cells = row.map((cell, i) => (cell.length <= widths[i]! ? [cell] : wrap(cell, widths[i]).split('\n')));
      const height = Math.max(1, ...cells.map((cellLines) => cellLines.length));
      return Array.from({ length: height }, (_, line) =>
        cells
          .map((cellLines, i) => (i === cells.length - 1 ? (cellLines[line] ?? '') : (cellLines[line] ?? '').padEnd(widths[i]! + GAP)))
          .join('')
          .trimEnd(),
      );
    })
    .join('\n');
}

export function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => (line ? prefix + line : line))
    .join('\n');
}

/** Where a line may break: at whitespace (dropped) or after a comma (kept, as in `a,b` lists of ranges), never inside a word. */
function breakable(text: string): { text: string; spaced: boolean }[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((word) => word.split(/(?<=,)/).map((piece, i) => ({ text: piece, spaced: i === 0 })));
}

/** Wraps text at word boundaries (whitespace, or after a comma) to `width`; a word longer than that keeps its own line whole. */
export function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const piece of breakable(text)) {
    const joined = line ? `${line}${piece.spaced ? ' ' : ''}${piece.text}` : piece.text;
    if (line && joined.length > width) {
      lines.push(line);
      line = piece.text;
    } else {
      line = joined;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** Below this, a hanging indent stops shrinking its text: a few words a line beat one letter a line. */
const MIN_TEXT_WIDTH = 20;

/** Wraps text to `width` after `prefix`, the following lines indented under the text (a hanging indent). */
export function hanging(prefix: string, text: string, width: number): string {
  const pad = ' '.repeat(prefix.length);
  return wrap(text, Math.max(width - prefix.length, MIN_TEXT_WIDTH))
    .split('\n')
    .map((line, i) => `${i === 0 ? prefix : pad}${line}`)
    .join('\n');
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
