import { runtimeConfig } from './config.js';

const TTL_MS = 5 * 60_000;
const cache = new Map<string, { value: string; at: number }>();

export class SecretError extends Error {}

/**
 * Resolves a secret reference: `projects/P/secrets/S/versions/V` from Secret Manager (loaded only
 * when used), or `env:VAR` from the environment (the local stack). Values are cached briefly and
 * never logged.
 */
export async function resolveSecret(reference: string): Promise<string> {
  const hit = cache.get(reference);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
  const value = reference.startsWith('env:') ? fromEnvironment(reference.slice(4)) : await fromSecretManager(reference);
  cache.set(reference, { value, at: Date.now() });
  return value;
}

function fromEnvironment(name: string): string {
  const value = process.env[name];
  if (!value) throw new SecretError(`secret env:${name} is not set`);
  return value;
}

async function fromSecretManager(name: string): Promise<string> {
  if (!/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/.test(name)) throw new SecretError(`"${name}" is neither env:VAR nor projects/P/secrets/S/versions/V`);
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  const client = new SecretManagerServiceClient({ projectId: runtimeConfig().projectId });
  try {
    const [version] = await client.accessSecretVersion({ name });
    const data = version.payload?.data;
    if (!data) throw new SecretError(`secret ${name} is empty`);
    return typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  } finally {
    await client.close();
  }
}

export function forgetSecrets(): void {
  cache.clear();
}
