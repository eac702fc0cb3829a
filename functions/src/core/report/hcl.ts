/**
 * The little of HCL that Terraform resources need: string, number and boolean attributes, string
 * lists and nested blocks, laid out as `terraform fmt` lays them out (the equals signs of
 * consecutive one-line attributes aligned), so the output passes `terraform fmt -check`.
 */
export type HclValue = string | number | boolean | readonly string[];

export interface HclBlock {
  /** `resource "google_compute_firewall" "name"` is ['resource', 'google_compute_firewall', 'name']. */
  labels?: readonly string[];
  type: string;
  /** In order; undefined entries are left out, blocks are written where they stand. */
  body: readonly (readonly [string, HclValue | undefined] | HclBlock)[];
}

// Template sequences would be interpolated: `$${` and `%%{` are HCL's escapes for them.
const quote = (text: string): string => JSON.stringify(text).replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');

function valueText(value: HclValue): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `[${value.map(quote).join(', ')}]`;
}

const isBlock = (entry: readonly [string, HclValue | undefined] | HclBlock): entry is HclBlock => !Array.isArray(entry);

function blockLines(block: HclBlock, depth: number): string[] {
  const pad = '  '.repeat(depth);
  const header = [block.type, ...(block.labels ?? []).map(quote)].join(' ');
  const lines = [`${pad}${header} {`];
  const entries = block.body.filter((entry) => isBlock(entry) || entry[1] !== undefined);
  let run: (readonly [string, HclValue])[] = [];
  const flush = (): void => {
    const width = Math.max(...run.map(([key]) => key.length));
    for (const [key, value] of run) lines.push(`${pad}  ${key.padEnd(width)} = ${valueText(value)}`);
    run = [];
  };
  entries.forEach((entry, index) => {
    if (!isBlock(entry)) {
      run.push(entry as readonly [string, HclValue]);
      return;
    }
    if (run.length > 0) flush();
    // terraform fmt keeps a blank line between a block and what precedes it only if it was there: we always put one.
    if (index > 0) lines.push('');
    lines.push(...blockLines(entry, depth + 1));
    const next = entries[index + 1];
    if (next !== undefined && !isBlock(next)) lines.push('');
  });
  if (run.length > 0) flush();
  lines.push(`${pad}}`);
  return lines;
}

export function renderHcl(blocks: readonly HclBlock[]): string {
  return `${blocks.map((block) => blockLines(block, 0).join('\n')).join('\n\n')}\n`;
}

/** A Terraform resource name from a GCP one: letters, digits, underscores and dashes, starting with a letter. */
export function terraformName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_-]+/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `r_${name}`;
}
