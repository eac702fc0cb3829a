import type { Entry, Logging } from '@google-cloud/logging';
import { DENIED_FIREWALL_FILTER } from '../../core/pipeline/sink-filter.js';
import { lazyGrpcClient } from './endpoints.js';

// Logging's own gax major differs from the other clients'; the options are the same plain values.
const loggingClient = /* @__PURE__ */ lazyGrpcClient(async (options) => new (await import('@google-cloud/logging')).Logging(options as ConstructorParameters<typeof Logging>[0]), (config) => config.endpoints.logging);

/** The client gives times as Dates or as protobuf {seconds, nanos}; a LogEntry has RFC 3339 strings. */
function iso(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  const { seconds, nanos } = (value ?? {}) as { seconds?: unknown; nanos?: unknown };
  if (seconds === undefined) return value;
  const millis = Number(seconds) * 1000 + Math.floor(Number(nanos ?? 0) / 1e6);
  return new Date(millis).toISOString();
}

/** Fields the client fills with null, '' or its own bookkeeping, which a LogEntry does not have. */
const CLIENT_ONLY = new Set(['payload', 'split', 'jsonPayload', 'textPayload', 'protoPayload']);

/** An Entry back to LogEntry JSON, the shape the log sink receives. */
function asLogEntry(entry: Entry): Record<string, unknown> {
  const metadata = entry.metadata as Record<string, unknown>;
  const json: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!CLIENT_ONLY.has(key) && value !== null && value !== '' && value !== undefined) json[key] = value;
  }
  for (const key of ['timestamp', 'receiveTimestamp']) if (json[key] !== undefined) json[key] = iso(json[key]);
  if (typeof entry.data === 'string') json['textPayload'] = entry.data;
  else if (entry.data && typeof entry.data === 'object') json['jsonPayload'] = entry.data;
  return json;
}

/**
 * DENIED firewall entries from a time on, oldest first, with the guide's filter: the sweep's
 * backstop for a sink that is missing or broken. One page per iteration, so the caller decides
 * how many to take and where it stopped.
 */
export async function* deniedEntryPages(project: string, since: Date, pageSize: number): AsyncGenerator<Record<string, unknown>[]> {
  const client = await loggingClient.get();
  let pageToken: string | undefined;
  do {
    const [entries, , response] = await client.getEntries({
      resourceNames: [`projects/${project}`],
      filter: `${DENIED_FIREWALL_FILTER} AND timestamp>="${since.toISOString()}"`,
      orderBy: 'timestamp asc',
      pageSize,
      autoPaginate: false,
      ...(pageToken ? { pageToken } : {}),
    });
    yield entries.map(asLogEntry);
    pageToken = response?.nextPageToken || undefined;
  } while (pageToken);
}
