/**
 * Reads a workflow definition (YAML, or JSON, which is YAML too) into a tree that remembers line
 * numbers, so that every WorkflowError can say where the offending construct is. Integers are read
 * as bigint so that `1` stays an int and `1.0` a double.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { WorkflowError } from './errors.js';

export type ScalarValue = string | bigint | number | boolean | null;

export type SourceNode =
  | { readonly kind: 'scalar'; readonly value: ScalarValue; readonly line: number }
  | { readonly kind: 'list'; readonly items: readonly SourceNode[]; readonly line: number }
  | { readonly kind: 'map'; readonly entries: readonly SourceEntry[]; readonly line: number };

export interface SourceEntry {
  readonly key: string;
  readonly value: SourceNode;
  readonly line: number;
}

class SourceReader {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  read(node: unknown): SourceNode {
    const line = this.lineOf(node);
    if (isAlias(node)) return this.read(node.resolve(this.doc));
    if (isScalar(node)) return { kind: 'scalar', value: scalarValue(node.value, line), line };
    if (isSeq(node)) return { kind: 'list', items: node.items.map((item) => this.read(item)), line };
    if (isMap(node)) return { kind: 'map', entries: node.items.map((pair) => this.readEntry(pair)), line };
    if (node === null || node === undefined) return { kind: 'scalar', value: null, line };
    throw new WorkflowError('unsupported YAML node', { path: 'definition', line });
  }

  private readEntry(pair: unknown): SourceEntry {
    if (!isPair(pair)) throw new WorkflowError('malformed map entry', { path: 'definition' });
    const key = this.read(pair.key);
    if (key.kind !== 'scalar') throw new WorkflowError('map keys must be plain scalars', { path: 'definition', line: key.line });
    return { key: key.value === null ? 'null' : String(key.value), value: this.read(pair.value), line: key.line };
  }

  private lineOf(node: unknown): number {
    const range = (node as YamlNode | undefined)?.range;
    return range === undefined || range === null ? 0 : this.lines.linePos(range[0]).line;
  }
}

function scalarValue(value: unknown, line: number): ScalarValue {
  if (value === null || typeof value === 'string' || typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new WorkflowError(`unsupported YAML scalar ${String(value)}`, { path: 'definition', line });
}

export function readSource(text: string): SourceNode {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, intAsBigInt: true, uniqueKeys: true, prettyErrors: false });
  const [problem] = doc.errors;
  if (problem !== undefined) {
    const line = problem.linePos?.[0]?.line;
    const hint = text.includes('${') ? ' (quote ${...} values inside [...] or {...}, and expressions containing ": ")' : '';
    throw new WorkflowError(`invalid YAML: ${problem.message}${hint}`, line === undefined ? { path: 'definition' } : { path: 'definition', line });
  }
  return new SourceReader(doc, lines).read(doc.contents);
}
