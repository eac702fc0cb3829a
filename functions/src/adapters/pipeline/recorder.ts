import type { Observation } from '../../core/findings/finding.js';
import type { FindingSample, FindingScope } from '../../core/pipeline/finding-record.js';
import { TOPICS } from '../../core/pipeline/names.js';
import type { NotificationRequest } from '../../core/pipeline/notification.js';
import type { Logger } from '../logger.js';
import { firestore } from '../firestore/client.js';
import { FindingStore, type RecordResult } from '../firestore/findings.js';
import { publishJson } from '../pubsub/publisher.js';

export async function publishNotification(notification: NotificationRequest): Promise<void> {
  await publishJson(TOPICS.notifications, notification, { kind: notification.kind, id: notification.id });
}

/**
 * Records an observation and publishes the notification it caused. A redelivered event whose
 * commit had happened re-publishes its notification if still pending: the crash may have come
 * between the commit and the publish, and the notifier delivers each id once.
 */
export async function recordObservation(
  input: { scope: FindingScope; observation: Observation; eventId: string; eventKind: string; sample?: FindingSample; now: Date },
  logger: Logger,
): Promise<RecordResult> {
  const store = new FindingStore(firestore());
  const result = await store.record(input);
  if (result.outcome === 'recorded') {
    logger.info(`${input.observation.rule} recorded`, { findingId: result.findingId, rule: input.observation.rule, scope: input.scope.scope, notified: Boolean(result.notification) });
    if (result.notification) await publishNotification(result.notification);
    return result;
  }
  logger.info('duplicate event ignored', { findingId: result.findingId, rule: input.observation.rule });
  if (result.notificationId) {
    const pending = await store.pendingNotification(result.notificationId);
    if (pending) await publishNotification(pending);
  }
  return result;
}
