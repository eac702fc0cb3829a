import { runtimeConfig } from '../config.js';
import { fetchGoogle, listAll, RestError } from './rest.js';

const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

/** Object names under a prefix (Cloud Storage JSON API). */
export async function listObjects(bucket: string, prefix: string): Promise<string[]> {
  const items = await listAll(runtimeConfig().deploy.storageUrl, `/storage/v1/b/${encodeURIComponent(bucket)}/o?prefix=${encodeURIComponent(prefix)}`);
  return items.map((item) => String(item['name']));
}

export async function readObject(bucket: string, name: string): Promise<string> {
  const url = new URL(`${runtimeConfig().deploy.storageUrl}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}?alt=media`);
  const response = await fetchGoogle(url, 60_000);
  if (!response.ok) throw new RestError(`gs://${bucket}/${name}: HTTP ${response.status}`, response.status);
  const text = await response.text();
  if (text.length > MAX_OBJECT_BYTES) throw new RestError(`gs://${bucket}/${name}: larger than ${MAX_OBJECT_BYTES} bytes`, 0);
  return text;
}
