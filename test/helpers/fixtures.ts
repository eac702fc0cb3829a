import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`../fixtures/${relative}`, import.meta.url));
}

export function readFixture(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}

export function fixtureJson<T = unknown>(relative: string): T {
  return JSON.parse(readFixture(relative)) as T;
}

/** The ranges of test/fixtures/gke/cluster-describe.json, as flags. */
export const RANGE_FLAGS = ['--master-cidr', '172.16.0.32/28', '--node-cidr', '10.10.10.0/24', '--pod-cidr', '10.1.0.0/16', '--service-cidr', '10.10.11.0/24'];
