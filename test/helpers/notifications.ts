import type { NotificationRequest } from '../../functions/src/core/pipeline/notification.js';

/** A new-finding notification request as logSink publishes it; `id` is FINDING-vN. */
export function findingOpened(id: string, changes: Partial<NonNullable<NotificationRequest['finding']>> = {}): NotificationRequest {
  return {
    id,
    kind: 'finding-opened',
    createdAt: new Date().toISOString(),
    finding: {
      id: id.replace(/-v\d+$/, ''),
      rule: 'webhook-port-blocked',
      severity: 'error',
      title: 'Control plane cannot reach an admission webhook port',
      status: 'open',
      count: 3,
      cluster: 'kf-test-project:us-central1:kf-test',
      explanation: 'The control plane cannot reach tcp:15017 <istiod>.',
      fix: 'Allow tcp:15017 from the control plane.',
      command: 'gcloud compute firewall-rules create kf-allow-webhook-tcp-15017 --allow=tcp:15017',
      firstSeen: null,
      lastSeen: null,
      ...changes,
    },
  };
}
