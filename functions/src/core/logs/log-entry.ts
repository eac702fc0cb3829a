import { z } from 'zod';

/**
 * The Cloud Logging LogEntry envelope (camelCase, as `gcloud logging read --format=json` and log
 * sinks emit it). Payloads stay loose here; each diagnosis validates the payload shape it needs.
 */
export const LogEntrySchema = z
  .looseObject({
    insertId: z.string().optional(),
    logName: z.string().optional(),
    timestamp: z.string().optional(),
    receiveTimestamp: z.string().optional(),
    severity: z.string().optional(),
    resource: z.looseObject({ type: z.string(), labels: z.record(z.string(), z.unknown()).optional() }).optional(),
    labels: z.record(z.string(), z.unknown()).optional(),
    operation: z
      .looseObject({
        id: z.string().optional(),
        producer: z.string().optional(),
        first: z.boolean().optional(),
        last: z.boolean().optional(),
      })
      .optional(),
    jsonPayload: z.record(z.string(), z.unknown()).optional(),
    protoPayload: z.record(z.string(), z.unknown()).optional(),
    textPayload: z.string().optional(),
  })
  .refine((entry) => entry.jsonPayload !== undefined || entry.protoPayload !== undefined || entry.textPayload !== undefined, {
    message: 'not a LogEntry: no jsonPayload, protoPayload or textPayload',
  })
  .refine((entry) => entry.logName !== undefined || entry.resource !== undefined, {
    message: 'not a LogEntry: neither logName nor resource',
  });
export type LogEntry = z.infer<typeof LogEntrySchema>;

export const FIREWALL_LOG_ID = 'compute.googleapis.com%2Ffirewall';
export const ACTIVITY_AUDIT_LOG_ID = 'cloudaudit.googleapis.com%2Factivity';

export function isFirewallLog(entry: LogEntry): boolean {
  if (entry.logName) return entry.logName.endsWith(FIREWALL_LOG_ID) || entry.logName.endsWith('compute.googleapis.com/firewall');
  return entry.jsonPayload?.['connection'] !== undefined && entry.jsonPayload['disposition'] !== undefined;
}

/** The time an entry describes: its own timestamp, else when Logging received it. */
export function entryTime(entry: LogEntry): string | undefined {
  return entry.timestamp ?? entry.receiveTimestamp;
}

export function zodIssueText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
