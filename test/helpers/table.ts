/** The findings table of a report: from its header line (the causes come before it) to the first blank line after. */
export function tableText(text: string): string {
  const start = text.search(/^(ID|SEVERITY|STAGE|KEY)\s/m);
  const from = text.slice(Math.max(start, 0));
  return from.slice(0, (from.indexOf('\n\n') + 1 || from.length + 1) - 1);
}

/**
 * The rows of a table kfguard printed (from its header line to the first blank line), each cell
 * whole again: the lines of a wrapped cell joined by a space, or by nothing after a comma, where
 * a list of ranges was broken. Columns start where the header's cells do.
 */
export function tableRows(text: string): string[][] {
  const [header = '', ...lines] = tableText(text).split('\n');
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((match) => match.index);
  const cellsOf = (line: string) => starts.map((start, i) => line.slice(start, starts[i + 1]).trim());
  const rows: string[][] = [cellsOf(header)];
  for (const line of lines) {
    const cells = cellsOf(line);
    if (cells[0]) rows.push(cells);
    else rows[rows.length - 1] = rows[rows.length - 1]!.map((cell, i) => (!cells[i] ? cell : !cell ? cells[i]! : `${cell}${cell.endsWith(',') ? '' : ' '}${cells[i]}`));
  }
  return rows;
}
