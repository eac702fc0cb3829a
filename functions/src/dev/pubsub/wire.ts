/**
 * Narrowing helpers for messages decoded by @grpc/proto-loader (and for admin JSON bodies).
 * proto-loader is configured with defaults, so absent scalars arrive as ''/0/[]; these helpers treat a
 * wrong type the same as absent instead of trusting the decoder's shape blindly.
 */
export type WireRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is WireRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

export function asRecord(value: unknown): WireRecord {
  return isRecord(value) ? value : {};
}

export function stringField(record: WireRecord, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : '';
}

/** Accepts numbers and the decimal strings proto-loader produces for 64-bit fields (longs: String). */
export function numberField(record: WireRecord, key: string): number {
  const value = record[key];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value) || 0;
  return 0;
}

export function recordField(record: WireRecord, key: string): WireRecord | undefined {
  const value = record[key];
  return isRecord(value) ? value : undefined;
}

export function stringArrayField(record: WireRecord, key: string): string[] {
  const value = record[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function numberArrayField(record: WireRecord, key: string): number[] {
  const value = record[key];
  return Array.isArray(value) ? value.map((item) => (typeof item === 'number' ? item : Number(item) || 0)) : [];
}

export function stringMapField(record: WireRecord, key: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [name, value] of Object.entries(recordField(record, key) ?? {})) {
    if (typeof value === 'string') map[name] = value;
  }
  return map;
}

export function bytesField(record: WireRecord, key: string): Buffer {
  const value = record[key];
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  // JSON transports (not used by the Node client, but cheap to accept) carry bytes as base64.
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return Buffer.alloc(0);
}

export function recordArrayField(record: WireRecord, key: string): WireRecord[] {
  const value = record[key];
  return Array.isArray(value) ? value.filter(isRecord) : [];
}
