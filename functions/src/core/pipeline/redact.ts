/**
 * Secrets that can reach a log line or a stored record by accident: webhook URLs carry `key` and
 * `token`, SMTP URLs carry a password, OAuth material looks like bearer tokens. Everything kfguard
 * writes outside passes through here.
 */
const SECRET_QUERY = /([?&](?:key|token|access_token|client_secret|password|secret|sig|signature)=)[^&\s"'#]+/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@"']+:)[^@\s"'/]+@/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;
const GOOGLE_KEY = /\bAIza[0-9A-Za-z_-]{20,}/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

const SECRET_FIELD = /^(password|pass|secret|token|access_?token|refresh_?token|client_?secret|api_?key|authorization|webhook_?url|smtp_?url|private_?key)$/i;

export const REDACTED = '[REDACTED]';

export function redactText(text: string): string {
  return text
    .replace(PRIVATE_KEY, REDACTED)
    .replace(SECRET_QUERY, `$1${REDACTED}`)
    .replace(URL_PASSWORD, `$1${REDACTED}@`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(GOOGLE_KEY, REDACTED);
}

const MAX_DEPTH = 8;

/** Deep copy with secret-named fields blanked and secret-looking text masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Error) return redactText(value.stack ?? value.message);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = SECRET_FIELD.test(key) ? REDACTED : redact(item, depth + 1);
  return copy;
}
