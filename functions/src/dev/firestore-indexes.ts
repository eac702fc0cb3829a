import { z } from 'zod';

/**
 * Production Firestore refuses a query that needs a composite index nobody declared
 * (FAILED_PRECONDITION "The query requires an index"), and one on a field whose indexing was
 * turned off. The emulators answer every query. This module applies production's rule to the
 * queries the local emulator receives, against firestore.indexes.json, so a query the code adds
 * without its index fails the tests instead of the first production run.
 */

const Order = z.enum(['ASCENDING', 'DESCENDING']);
const QueryScope = z.enum(['COLLECTION', 'COLLECTION_GROUP']).default('COLLECTION');

export const IndexesFileSchema = z.object({
  indexes: z.array(
    z.object({
      collectionGroup: z.string(),
      queryScope: QueryScope,
      fields: z.array(z.object({ fieldPath: z.string(), order: Order.optional(), arrayConfig: z.literal('CONTAINS').optional() })).min(2),
    }),
  ),
  fieldOverrides: z.array(
    z.object({
      collectionGroup: z.string(),
      fieldPath: z.string(),
      ttl: z.boolean().optional(),
      indexes: z.array(z.object({ order: Order.optional(), arrayConfig: z.literal('CONTAINS').optional(), queryScope: QueryScope })),
    }),
  ),
});
export type IndexesFile = z.infer<typeof IndexesFileSchema>;

/** The parts of a v1 StructuredQuery (as the emulator decodes it, snake_case) that decide its index. */
interface FieldReference {
  field_path: string;
}
interface Filter {
  field_filter?: { field: FieldReference; op: number };
  unary_filter?: { field: FieldReference; op: number };
  composite_filter?: { op: number; filters: Filter[] };
}
export interface StructuredQuery {
  from?: { collection_id: string; all_descendants?: boolean }[];
  where?: Filter;
  order_by?: { field: FieldReference; direction: number }[];
}

// google.firestore.v1.StructuredQuery enums.
const EQUALITY_OPERATORS = new Set([5 /* EQUAL */, 7 /* ARRAY_CONTAINS */, 8 /* IN */, 9 /* ARRAY_CONTAINS_ANY */]);
const UNARY_EQUALITY = new Set([2 /* IS_NAN */, 3 /* IS_NULL */]);
const DESCENDING = 2;
const DOCUMENT_ID = '__name__';

interface QueryShape {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  equalities: Set<string>;
  /** Inequality fields first (implicitly ascending), then explicit order-bys, as Firestore orders them. */
  ordering: { fieldPath: string; order: 'ASCENDING' | 'DESCENDING' }[];
}

function collectFilters(filter: Filter | undefined, equalities: Set<string>, inequalities: string[]): void {
  if (!filter) return;
  if (filter.composite_filter) {
    for (const child of filter.composite_filter.filters) collectFilters(child, equalities, inequalities);
    return;
  }
  const leaf = filter.field_filter ?? filter.unary_filter;
  if (!leaf) return;
  const isEquality = filter.field_filter ? EQUALITY_OPERATORS.has(leaf.op) : UNARY_EQUALITY.has(leaf.op);
  if (isEquality) equalities.add(leaf.field.field_path);
  else if (!inequalities.includes(leaf.field.field_path)) inequalities.push(leaf.field.field_path);
}

function shapeOf(query: StructuredQuery): QueryShape | undefined {
  const [from] = query.from ?? [];
  if (!from) return undefined;
  const equalities = new Set<string>();
  const inequalities: string[] = [];
  collectFilters(query.where, equalities, inequalities);
  const ordering = (query.order_by ?? [])
    .map((order) => ({ fieldPath: order.field.field_path, order: order.direction === DESCENDING ? ('DESCENDING' as const) : ('ASCENDING' as const) }))
    .filter((order) => order.fieldPath !== DOCUMENT_ID);
  for (const field of inequalities.reverse()) if (!ordering.some((order) => order.fieldPath === field)) ordering.unshift({ fieldPath: field, order: 'ASCENDING' });
  return { collectionGroup: from.collection_id, queryScope: from.all_descendants ? 'COLLECTION_GROUP' : 'COLLECTION', equalities, ordering };
}

/** Single-field indexes (automatic unless exempted) serve one field, or equalities alone (index merging). */
function needsComposite(shape: QueryShape): boolean {
  const fields = new Set([...shape.equalities, ...shape.ordering.map((order) => order.fieldPath)]);
  if (fields.size <= 1) return false;
  return shape.ordering.length > 0;
}

function compositeServes(index: IndexesFile['indexes'][number], shape: QueryShape): boolean {
  if (index.collectionGroup !== shape.collectionGroup || index.queryScope !== shape.queryScope) return false;
  const fields = index.fields.filter((field) => field.fieldPath !== DOCUMENT_ID);
  const prefix = fields.slice(0, shape.equalities.size);
  const rest = fields.slice(shape.equalities.size);
  return (
    prefix.every((field) => shape.equalities.has(field.fieldPath)) &&
    rest.length === shape.ordering.length &&
    rest.every((field, i) => field.fieldPath === shape.ordering[i]!.fieldPath && field.order === shape.ordering[i]!.order)
  );
}

function exempted(indexes: IndexesFile, shape: QueryShape): string | undefined {
  const used = [...shape.equalities, ...shape.ordering.map((order) => order.fieldPath)];
  return used.find((field) => indexes.fieldOverrides.some((override) => override.collectionGroup === shape.collectionGroup && override.fieldPath === field && !override.indexes.some((index) => index.queryScope === shape.queryScope)));
}

/** Why production would refuse the query, or undefined when the declared indexes serve it. */
export function missingIndex(query: StructuredQuery, indexes: IndexesFile): string | undefined {
  const shape = shapeOf(query);
  if (!shape) return undefined;
  const noIndex = exempted(indexes, shape);
  if (noIndex) return `The query on ${shape.collectionGroup} filters or orders by ${noIndex}, whose indexing firestore.indexes.json turns off (fieldOverrides).`;
  if (!needsComposite(shape) || indexes.indexes.some((index) => compositeServes(index, shape))) return undefined;
  const wanted = [...[...shape.equalities].map((fieldPath) => ({ fieldPath, order: 'ASCENDING' })), ...shape.ordering];
  return `The query requires an index. Add to firestore.indexes.json (and infra): ${JSON.stringify({ collectionGroup: shape.collectionGroup, queryScope: shape.queryScope, fields: wanted })}`;
}
