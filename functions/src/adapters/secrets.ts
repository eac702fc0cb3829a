import { runtimeConfig } from './config.js';
import { GRPC, grpcCode } from './firestore/client.js';
import { grpcClientOptions } from './gcp/endpoints.js';

const TTL_MS = 5 * 60_000;
/**
 * The client retries UNAVAILABLE for up to 10 minutes by default; a handler has seconds, and a
 * failure it reports is retried by Pub/Sub anyway.
 */
const ACCESS_TIMEOUT_MS = 10_000;
const cache = new Map<string, { value: string; at: number }>();

export class SecretError extends Error {}

/**
 * The secret exists as a reference but has no value to give: an unset or empty variable, a secret
 * without a version, a disabled or destroyed version, an empty payload. What it configures is off
 * until someone adds the value; that is not a failure worth retrying.
 */
export class SecretNotConfiguredError extends SecretError {}

/**
 * Resolves a secret reference: `projects/P/secrets/S/versions/V` from Secret Manager (loaded only
 * when used), or `env:VAR` from the environment (the local stack). Values are cached briefly and
 * never logged; errors name the reference, never the value.
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
  if (!value) throw new SecretNotConfiguredError(`secret env:${name} is not set`);
  return value;
}

async function fromSecretManager(name: string): Promise<string> {
  if (!/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/.test(name)) throw new SecretError(`"${name}" is neither env:VAR nor projects/P/secrets/S/versions/V`);
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  const config = runtimeConfig();
  const client = new SecretManagerServiceClient(await grpcClientOptions(config.projectId, config.endpoints.secretManager));
  try {
    const [version] = await client.accessSecretVersion({ name }, { timeout: ACCESS_TIMEOUT_MS });
    const data = version.payload?.data;
    const value = typeof data === 'string' ? data : data ? Buffer.from(data).toString('utf8') : '';
    if (!value) throw new SecretNotConfiguredError(`secret ${name} is empty`);
    return value;
  } catch (error) {
    // NOT_FOUND: no such secret or version (Terraform declares secrets without one); FAILED_PRECONDITION: disabled or destroyed.
    const code = grpcCode(error);
    if (code === GRPC.NOT_FOUND || code === GRPC.FAILED_PRECONDITION) throw new SecretNotConfiguredError(`secret ${name} has no enabled version (gRPC code ${code})`);
    throw error;
  } finally {
    await client.close();
  }
}

export function forgetSecrets(): void {
  cache.clear();
}
