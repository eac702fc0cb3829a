/** What an API server error tells about a webhook call that failed. */
export interface WebhookFailure {
  webhook?: string;
  service?: string;
  namespace?: string;
  /** The Service port from the URL; the firewall needs the targetPort behind it. */
  servicePort?: number;
  url?: string;
  cause: 'timeout' | 'connection-refused' | 'unavailable' | 'tls' | 'no-endpoints' | 'other';
  message: string;
}

export const WEBHOOK_FAILURE_MARKER = 'failed calling webhook';

const CAUSES: [WebhookFailure['cause'], RegExp][] = [
  ['timeout', /context deadline exceeded|i\/o timeout|Client\.Timeout|timed out/i],
  ['connection-refused', /connection refused/i],
  ['no-endpoints', /no endpoints available|service .* not found/i],
  ['tls', /x509|certificate|tls:/i],
  ['unavailable', /unable to handle the request|service unavailable|\b503\b/i],
];

/** Parses messages such as `failed calling webhook "webhook.cert-manager.io": Post "https://cert-manager-webhook.cert-manager.svc:443/mutate?timeout=10s": context deadline exceeded`. */
export function parseWebhookFailure(message: string): WebhookFailure | undefined {
  const at = message.indexOf(WEBHOOK_FAILURE_MARKER);
  if (at < 0) return undefined;
  const text = message.slice(at, at + 2000);
  const failure: WebhookFailure = { cause: CAUSES.find(([, pattern]) => pattern.test(text))?.[0] ?? 'other', message: text };
  const name = text.match(/failed calling webhook \\?"([^"\\]+)\\?"/);
  if (name) failure.webhook = name[1];
  const url = text.match(/https:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?(?::(\d{1,5}))?(\/[^"\s\\?]*)?/i);
  if (url) {
    failure.url = url[0];
    failure.service = url[1]!.toLowerCase();
    failure.namespace = url[3]!.toLowerCase();
    failure.servicePort = url[5] ? Number(url[5]) : 443;
  }
  return failure;
}

/** Finds the first string in a payload that mentions a failed webhook call, looking a bounded depth in. */
export function findWebhookFailureText(value: unknown, depth = 6): string | undefined {
  if (typeof value === 'string') return value.includes(WEBHOOK_FAILURE_MARKER) ? value : undefined;
  if (depth === 0 || value === null || typeof value !== 'object') return undefined;
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children.slice(0, 200)) {
    const found = findWebhookFailureText(child, depth - 1);
    if (found) return found;
  }
  return undefined;
}
