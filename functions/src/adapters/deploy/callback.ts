import { accessToken, isGoogleApi } from '../gcp/auth.js';
import type { StageResult } from '../../core/deploy/stages.js';

/**
 * Delivers a stage's result to the workflow's callback endpoint. Workflows requires an OAuth
 * access token of an identity with workflows.callbacks.send; the local runner accepts any.
 */
export async function postStageResult(callbackUrl: string, result: StageResult): Promise<void> {
  const url = new URL(callbackUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(isGoogleApi(url) ? { authorization: `Bearer ${await accessToken()}` } : {}) };
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(result), signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`the workflow callback answered HTTP ${response.status}`);
}
