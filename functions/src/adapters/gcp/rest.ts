import { GoogleAuth, type AuthClient } from 'google-auth-library';

const GOOGLE_HOST = /\.googleapis\.com$/;
const MAX_PAGES = 200;

let auth: Promise<AuthClient> | undefined;

export class RestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Google's REST APIs need an access token; the local stack's fakes need none. */
async function get(url: URL): Promise<unknown> {
  if (GOOGLE_HOST.test(url.hostname)) {
    auth ??= new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).getClient();
    const response = await (await auth).request<unknown>({ url: url.toString() });
    return response.data;
  }
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
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
    const body = (await get(url)) as Record<string, unknown>;
    const pageItems = body[itemsKey];
    if (Array.isArray(pageItems)) items.push(...(pageItems as Record<string, unknown>[]));
    pageToken = typeof body['nextPageToken'] === 'string' && body['nextPageToken'] ? body['nextPageToken'] : undefined;
    if (!pageToken) return items;
  }
  throw new RestError(`GET ${path}: more than ${MAX_PAGES} pages`, 0);
}
