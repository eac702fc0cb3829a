import { z } from 'zod';

const severity = z.enum(['error', 'warning', 'info']);

/** What a notification says about a finding: enough for a Chat card or an email without a Firestore read. */
export const FindingSummarySchema = z.object({
  id: z.string().max(100),
  rule: z.string().max(100),
  severity,
  title: z.string().max(300),
  status: z.enum(['open', 'resolved', 'muted']),
  count: z.number().int().nonnegative(),
  cluster: z.string().max(300),
  explanation: z.string().max(4000),
  fix: z.string().max(2000),
  command: z.string().max(4000).nullable(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
});
export type FindingSummary = z.infer<typeof FindingSummarySchema>;

export const DeploymentSummarySchema = z.object({
  id: z.string().max(100),
  project: z.string().max(100),
  name: z.string().max(100),
  stage: z.string().max(100),
  reason: z.string().max(4000),
  findings: z.array(FindingSummarySchema).max(20).default([]),
});
export type DeploymentSummary = z.infer<typeof DeploymentSummarySchema>;

/** `flush` asks the notifier to send what it folded into a digest (published by each sweep). */
export const NOTIFICATION_KINDS = ['finding-opened', 'finding-reopened', 'severity-raised', 'finding-resolved', 'deployment-failed', 'flush'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * A request to notify, published to the notifications topic. `id` is the idempotency key: one per
 * state change (`FINDING-vN`, `deployment-ID-failed`), so a redelivered or re-published request
 * notifies once.
 */
export const NotificationRequestSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'id: letters, digits and ._:- only'),
    kind: z.enum(NOTIFICATION_KINDS),
    createdAt: z.string(),
    finding: FindingSummarySchema.optional(),
    deployment: DeploymentSummarySchema.optional(),
    /** Extra email recipients (a deployment's notification targets). */
    email: z.array(z.email()).max(20).optional(),
  })
  .refine((request) => request.kind === 'flush' || (request.kind === 'deployment-failed' ? request.deployment !== undefined : request.finding !== undefined), {
    message: 'a finding notification needs `finding`, a deployment notification `deployment`',
  });
export type NotificationRequest = z.infer<typeof NotificationRequestSchema>;

export function notificationIdFor(findingId: string, stateVersion: number): string {
  return `${findingId}-v${stateVersion}`;
}
