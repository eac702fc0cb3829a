import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Where `kfguard dev up` writes its endpoints, relative to the working directory. */
export const DEV_STATE_FILE = join('.kfguard', 'dev.json');

export const DevStateSchema = z.object({
  version: z.literal(1),
  pid: z.number().int(),
  projectId: z.string(),
  startedAt: z.string(),
  /** Environment a client sets to reach the stack (emulator hosts, endpoint overrides). */
  env: z.record(z.string(), z.string()),
  endpoints: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.string())])),
});
export type DevState = z.infer<typeof DevStateSchema>;

/** Whether the process that wrote a state file still runs (signal 0 tests without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readDevState(cwd: string): DevState | undefined {
  const path = join(cwd, DEV_STATE_FILE);
  if (!existsSync(path)) return undefined;
  const parsed = DevStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not a kfguard dev state file; delete it or run kfguard dev up`);
  return parsed.data;
}

/**
 * Points the Google clients at the running local stack when `.kfguard/dev.json` exists (it wins
 * over the environment: the stack here is what the operator means); otherwise the environment
 * (emulator variables, or real credentials) decides.
 */
export function useLocalStackIfRunning(cwd: string, env: NodeJS.ProcessEnv): DevState | undefined {
  const state = readDevState(cwd);
  // A stack killed before it could clean up leaves its file behind: its ports answer nothing.
  if (!state || !isAlive(state.pid)) return undefined;
  Object.assign(env, state.env);
  return state;
}
