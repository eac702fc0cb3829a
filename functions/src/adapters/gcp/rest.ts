import { accessToken, isGoogleApi } from './auth.js';

const MAX_PAGES = 200;

export class RestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** fetch with an OAuth token for Google's APIs; the local stack's servers need none. */
export async function fetchGoogle(url: URL, timeoutMs = 30_000): Promise<Response> {
  const headers: Record<string, string> = isGoogleApi(url) ? { authorization: `Bearer ${await accessToken()}` } : {};
  return fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
}

export async function getJson(url: URL): Promise<Record<string, unknown>> {
  const response = await fetchGoogle(url);
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown> & { error?: { message?: string } };
  if (!response.ok) throw new RestError(`GET ${url.pathname}: HTTP ${response.status} ${body.error?.message ?? ''}`.trim(), response.status);
  return body;
}

/** Every item of a paged Google list (`items` or another key, `nextPageToken`). */
export async function listAll(baseUrl: string, path: string, itemsKey = 'items'): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = new URL(`${baseUrl}${path}`);
    if (pageToken) url.searchParams.set('pageToken', pageToken);
    const body = await getJson(url);
    const pageItems = body[itemsKey];
    if (Array.isArray(pageItems)) items.push(...(pageItems as Record<string, unknown>[]));
    pageToken = typeof body['nextPageToken'] === 'string' && body['nextPageToken'] ? body['nextPageToken'] : undefined;
    if (!pageToken) return items;
  }
  throw new RestError(`GET ${path}: more than ${MAX_PAGES} pages`, 0);
}
