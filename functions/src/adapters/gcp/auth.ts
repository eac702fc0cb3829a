import type { GoogleAuth } from 'google-auth-library';

let auth: Promise<GoogleAuth> | undefined;

/** Hosts that get an OAuth token; the local stack's servers need none. */
export function isGoogleApi(url: URL): boolean {
  return url.protocol === 'https:' && url.hostname.endsWith('.googleapis.com');
}

/**
 * An access token (cloud-platform scope) for the function's service account, from one shared
 * GoogleAuth, loaded on first use so functions that never call a REST API do not pay for it.
 */
export async function accessToken(): Promise<string> {
  auth ??= import('google-auth-library').then(({ GoogleAuth: Auth }) => new Auth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }));
  const token = await (await auth).getAccessToken();
  if (!token) throw new Error('no Google access token: Application Default Credentials gave none');
  return token;
}
