import { zodIssueText } from '../../core/logs/log-entry.js';
import { chatDigest, chatMessage, emailMessage } from '../../core/pipeline/messages.js';
import { NotificationRequestSchema, type NotificationRequest } from '../../core/pipeline/notification.js';
import { runtimeConfig } from '../config.js';
import { firestore } from '../firestore/client.js';
import { NotificationStore, type Channel, type ChannelState, type NotificationRecord } from '../firestore/notifications.js';
import { ChatError, parseChatWebhook, postChatMessage, SpaceQuota, type ChatSendOptions } from '../notify/chat.js';
import { EmailError, sendEmail } from '../notify/email.js';
import type { Logger } from '../logger.js';
import { resolveSecret, SecretNotConfiguredError } from '../secrets.js';
import { decodeJsonMessage, PoisonMessageError, type PubSubCloudEvent } from '../runtime/cloud-event.js';
import type { HandlerContext } from '../runtime/functions-framework.js';

/**
 * One quota per process. Terraform runs the notifier as a single instance handling one event at a
 * time, so this in-memory count is the space's real rate.
 */
let quota: SpaceQuota | undefined;
function spaceQuota(): SpaceQuota {
  const { perWindow, windowMs } = runtimeConfig().chat;
  return (quota ??= new SpaceQuota(perWindow, windowMs));
}

const FINAL: ReadonlySet<ChannelState> = new Set(['delivered', 'folded', 'digested', 'skipped', 'failed']);

function parseRequest(event: PubSubCloudEvent): NotificationRequest {
  const parsed = NotificationRequestSchema.safeParse(decodeJsonMessage(event));
  if (!parsed.success) throw new PoisonMessageError(`not a notification request: ${zodIssueText(parsed.error)}`);
  return parsed.data;
}

/**
 * A channel's secret, or undefined when the channel is not configured: no reference, or a secret
 * still without a value (Terraform declares both secrets; people add the values they have).
 * The other channel is delivered all the same; errors worth retrying still throw.
 */
async function channelSecret(channel: Channel, reference: string | undefined, logger: Logger): Promise<string | undefined> {
  if (!reference) return undefined;
  try {
    return await resolveSecret(reference);
  } catch (error) {
    if (!(error instanceof SecretNotConfiguredError)) throw error;
    logger.warn(`${channel} notifications are off: ${error.message}`, { channel, secretReference: reference });
    return undefined;
  }
}

function chatWebhook(logger: Logger): Promise<string | undefined> {
  return channelSecret('chat', runtimeConfig().secrets.chatWebhook, logger);
}

function chatSendOptions(requestId: string): ChatSendOptions {
  const config = runtimeConfig();
  return { requestId, originOverride: config.endpoints.chatOrigin, baseDelayMs: config.chat.backoffMs, timeoutMs: config.chat.timeoutMs };
}

/** Sends what earlier messages folded into the digest, if the space has room for one more message. */
async function flushDigest(store: NotificationStore, webhook: string, context: HandlerContext): Promise<void> {
  const folded = await store.folded();
  if (folded.length === 0 || !spaceQuota().tryTake(parseChatWebhook(webhook).space)) return;
  await postChatMessage(webhook, chatDigest(folded.map((item) => item.request), runtimeConfig().dashboardUrl), chatSendOptions(`digest-${folded[0]!.id}-${folded.length}`));
  await Promise.all(folded.map((item) => store.setChannel(item.id, 'chat', 'digested')));
  context.logger.info(`sent a digest of ${folded.length} folded notifications`);
}

async function deliverChat(store: NotificationStore, request: NotificationRequest, context: HandlerContext): Promise<ChannelState> {
  const webhook = await chatWebhook(context.logger);
  if (!webhook) return 'skipped';
  let space: string;
  try {
    space = parseChatWebhook(webhook).space;
  } catch (error) {
    await store.setChannel(request.id, 'chat', 'failed', (error as Error).message);
    return 'failed';
  }
  await flushDigest(store, webhook, context);
  if (!spaceQuota().tryTake(space)) return 'folded';
  const config = runtimeConfig();
  try {
    await postChatMessage(webhook, chatMessage(request, config.dashboardUrl), chatSendOptions(request.id));
    return 'delivered';
  } catch (error) {
    if (error instanceof ChatError && !error.transient) {
      await store.setChannel(request.id, 'chat', 'failed', error.message);
      return 'failed';
    }
    throw error;
  }
}

async function deliverEmail(store: NotificationStore, request: NotificationRequest, context: HandlerContext): Promise<ChannelState> {
  const config = runtimeConfig();
  const recipients = [...new Set([...config.email.to, ...(request.email ?? [])])];
  if (recipients.length === 0) return 'skipped';
  const smtpUrl = await channelSecret('email', config.secrets.smtpUrl, context.logger);
  if (!smtpUrl) return 'skipped';
  try {
    await sendEmail(smtpUrl, config.email.from, recipients, emailMessage(request, config.dashboardUrl), request.id);
    return 'delivered';
  } catch (error) {
    if (error instanceof EmailError && !error.transient) {
      await store.setChannel(request.id, 'email', 'failed', error.message);
      return 'failed';
    }
    throw error;
  }
}

const DELIVERERS: Record<Channel, (store: NotificationStore, request: NotificationRequest, context: HandlerContext) => Promise<ChannelState>> = {
  chat: deliverChat,
  email: deliverEmail,
};

/**
 * Delivers one notification request to Google Chat and email, once: each channel's outcome is
 * saved as soon as it is known, so a redelivery (after a 5xx, a timeout or a crash) only retries
 * what has not happened yet, and a delivered request is acknowledged without sending again.
 */
export async function handleNotificationEvent(event: PubSubCloudEvent, context: HandlerContext): Promise<void> {
  const request = parseRequest(event);
  const store = new NotificationStore(firestore());
  if (request.kind === 'flush') {
    const webhook = await chatWebhook(context.logger);
    if (webhook) await flushDigest(store, webhook, context);
    return;
  }
  const record: NotificationRecord = await store.ensure(request, context.now);
  if (record.status !== 'pending') {
    context.logger.info('notification already handled', { notificationId: request.id, status: record.status });
    return;
  }
  const states: Partial<Record<Channel, ChannelState>> = { ...record.channels };
  for (const channel of ['chat', 'email'] as const) {
    if (states[channel] && FINAL.has(states[channel])) continue;
    const state = await DELIVERERS[channel](store, request, context);
    states[channel] = state;
    if (state !== 'failed') await store.setChannel(request.id, channel, state);
  }
  const attempted = Object.values(states).filter((state) => state !== 'skipped');
  const status = attempted.length > 0 && attempted.every((state) => state === 'failed') ? 'failed' : 'delivered';
  await store.finish(request.id, status, context.now);
  context.logger.info(`notification ${status}`, { notificationId: request.id, kind: request.kind, channels: states });
}
