/** Google Chat incoming webhooks: only Google's own endpoint may receive kfguard's findings. */
export const CHAT_ORIGIN = 'https://chat.googleapis.com';

export class ChatError extends Error {
  constructor(
    message: string,
    /** Worth retrying later (429, 5xx, timeouts); otherwise the webhook itself is wrong. */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/**
 * Accepts only `https://chat.googleapis.com/v1/spaces/SPACE/messages?...`: a webhook URL pointing
 * anywhere else would send findings (network layout, commands) to a third party. Errors never echo
 * the URL, whose key and token are secrets.
 */
export function parseChatWebhook(url: string): { url: URL; space: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ChatError('the Chat webhook is not a URL', false);
  }
  const space = parsed.pathname.match(/^\/v1\/spaces\/([A-Za-z0-9_-]+)\/messages$/)?.[1];
  if (parsed.origin !== CHAT_ORIGIN || parsed.username || parsed.password || !space) {
    throw new ChatError('the Chat webhook must be https://chat.googleapis.com/v1/spaces/SPACE/messages?key=...&token=...', false);
  }
  return { url: parsed, space };
}

export interface ChatSendOptions {
  /** Sends to this origin instead of chat.googleapis.com (the local stack's recorder); the URL is still validated as Chat's. */
  originOverride?: string;
  /** Chat deduplicates messages by request id: a redelivered notification does not post twice. */
  requestId: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
}

function retryAfterMs(header: string | null, fallback: number, cap: number): number {
  if (!header) return fallback;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Math.min(cap, Math.max(0, Number.isFinite(ms) ? ms : fallback));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Posts one message, backing off on 429 and 5xx (honouring Retry-After) for a bounded number of attempts. */
export async function postChatMessage(webhookUrl: string, message: unknown, options: ChatSendOptions): Promise<{ attempts: number }> {
  const { url } = parseChatWebhook(webhookUrl);
  url.searchParams.set('requestId', options.requestId.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 100));
  const target = options.originOverride ? new URL(`${url.pathname}${url.search}`, options.originOverride) : url;
  const maxAttempts = options.maxAttempts ?? 4;
  const maxDelay = options.maxDelayMs ?? 30_000;
  let delay = options.baseDelayMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    let status: number;
    let retryAfter: string | null = null;
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      await response.arrayBuffer();
    } catch (error) {
      status = 0;
      if (attempt >= maxAttempts) throw new ChatError(`Chat did not answer after ${attempt} attempts (${(error as Error).name})`, true);
    }
    if (status >= 200 && status < 300) return { attempts: attempt };
    const transient = status === 0 || status === 429 || status >= 500;
    if (!transient) throw new ChatError(`Chat refused the message with HTTP ${status}`, false);
    if (attempt >= maxAttempts) throw new ChatError(`Chat answered HTTP ${status} ${attempt} times`, true);
    await sleep(retryAfterMs(retryAfter, delay, maxDelay));
    delay = Math.min(maxDelay, delay * 2);
  }
}

/** Chat allows 60 messages per minute per space; past that, kfguard folds messages into a digest. */
export class SpaceQuota {
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly perWindow = 60,
    private readonly windowMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  tryTake(space: string): boolean {
    const now = this.clock();
    const recent = (this.sent.get(space) ?? []).filter((at) => now - at < this.windowMs);
    if (recent.length >= this.perWindow) {
      this.sent.set(space, recent);
      return false;
    }
    recent.push(now);
    this.sent.set(space, recent);
    return true;
  }
}
