import { describe, expect, it } from 'vitest';
import { EVENT_FUNCTIONS, HANDLER_DEADLINE_MARGIN_SECONDS, HTTP_FUNCTIONS } from '../../functions/src/core/pipeline/names.js';
import type { FunctionSpec } from '../../functions/src/core/pipeline/names.js';

/**
 * What Cloud Run and Cloud Functions (2nd gen) accept for a function's topology, held against
 * EVENT_FUNCTIONS and HTTP_FUNCTIONS, since Terraform deploys exactly those values and nothing here
 * can try a deployment. Sources (quotes in docs/decisions.md, 2026-12-07):
 * - vCPU a function gets for its memory, with no available_cpu set (kfguard sets none):
 *   https://cloud.google.com/functions/docs/configuring/memory
 * - below 1 vCPU, concurrency must be 1 and memory above 512 MiB needs 0.5 vCPU, above 1 GiB 1 vCPU:
 *   https://cloud.google.com/run/docs/configuring/cpu
 * - timeouts: at most 3600 s for HTTP functions, 540 s for event-driven ones:
 *   https://cloud.google.com/functions/docs/configuring/timeout
 * - concurrency 1 to 1000 and max instances at least 1: `gcloud functions deploy --concurrency` and
 *   `--max-instances` (command_lib/functions/flags.py in the Google Cloud CLI).
 */
type TriggerKind = 'event' | 'http';

const MIB_PER_UNIT: Readonly<Record<string, number>> = { Mi: 1, Gi: 1024 };
const MAX_TIMEOUT_SECONDS: Readonly<Record<TriggerKind, number>> = { event: 540, http: 3600 };
const MAX_CONCURRENCY = 1000;

/** The documented memory sizes and the vCPU each gets by default, smallest first. */
const DEFAULT_VCPU_BY_MEMORY_MIB: readonly (readonly [memoryMib: number, vcpu: number])[] = [
  [128, 0.083],
  [256, 0.167],
  [512, 0.333],
  [1024, 0.583],
  [2048, 1],
  [4096, 1],
  [8192, 2],
  [16384, 4],
  [24576, 6],
  [32768, 8],
];

function memoryMib(memory: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(memory);
  if (match === null) throw new Error(`memory ${JSON.stringify(memory)} is not written as <number>Mi or <number>Gi`);
  return Number(match[1]) * MIB_PER_UNIT[match[2]!]!;
}

/** The vCPU Cloud Functions gives a function of this memory, or undefined for a size it does not document. */
function defaultVcpu(memory: string): number | undefined {
  const mib = memoryMib(memory);
  return DEFAULT_VCPU_BY_MEMORY_MIB.find(([size]) => size === mib)?.[1];
}

/** Every rule the spec breaks, in words; empty when Cloud Run and Cloud Functions accept it. */
function topologyViolations(spec: FunctionSpec, kind: TriggerKind): string[] {
  const violations: string[] = [];
  const vcpu = defaultVcpu(spec.memory);
  if (vcpu === undefined) return [`memory ${spec.memory} is none of the documented sizes (${DEFAULT_VCPU_BY_MEMORY_MIB.map(([mib]) => `${mib} MiB`).join(', ')})`];
  const mib = memoryMib(spec.memory);
  if (vcpu < 1 && spec.concurrency > 1) violations.push(`concurrency ${spec.concurrency} with ${spec.memory} (${vcpu} vCPU): below 1 vCPU, concurrency must be 1`);
  if (vcpu < 0.5 && mib > 512) violations.push(`${spec.memory} needs at least 0.5 vCPU, it gets ${vcpu}`);
  if (vcpu < 1 && mib > 1024) violations.push(`${spec.memory} needs at least 1 vCPU, it gets ${vcpu}`);
  if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1 || spec.concurrency > MAX_CONCURRENCY) violations.push(`concurrency ${spec.concurrency} is outside 1..${MAX_CONCURRENCY}`);
  if (!Number.isInteger(spec.maxInstances) || spec.maxInstances < 1) violations.push(`maxInstances ${spec.maxInstances} must be a whole number of at least 1`);
  const maxTimeout = MAX_TIMEOUT_SECONDS[kind];
  if (!Number.isInteger(spec.timeoutSeconds) || spec.timeoutSeconds < 1 || spec.timeoutSeconds > maxTimeout) {
    violations.push(`timeout ${spec.timeoutSeconds} s is outside 1..${maxTimeout} s for ${kind === 'event' ? 'an event-driven' : 'an HTTP'} function`);
  }
  return violations;
}

const deployed: readonly (readonly [name: string, spec: FunctionSpec, kind: TriggerKind])[] = [
  ...Object.entries(EVENT_FUNCTIONS).map(([name, spec]) => [name, spec, 'event'] as const),
  ...Object.entries(HTTP_FUNCTIONS).map(([name, spec]) => [name, spec, 'http'] as const),
];

describe('the function topology in names.ts, against Cloud Run and Cloud Functions', () => {
  it.each(deployed)('%s is a topology Cloud Run accepts', (_name, spec, kind) => {
    expect(topologyViolations(spec, kind)).toEqual([]);
  });

  it('leaves every event handler time to give up before its function is killed', () => {
    for (const spec of Object.values(EVENT_FUNCTIONS)) expect(spec.timeoutSeconds).toBeGreaterThan(HANDLER_DEADLINE_MARGIN_SECONDS);
  });

  it('runs the notifier and the sweep as one instance serving one event, which their exactly-once sends rely on', () => {
    for (const spec of [EVENT_FUNCTIONS.notifier, EVENT_FUNCTIONS.healthSweep]) expect(spec).toMatchObject({ maxInstances: 1, concurrency: 1 });
  });
});

describe('the topology rules themselves', () => {
  const valid: FunctionSpec = { maxInstances: 3, concurrency: 1, timeoutSeconds: 60, memory: '256Mi' };

  it('refuse concurrency above 1 below 1 vCPU, and allow it from 2 GiB (1 vCPU) on', () => {
    expect(topologyViolations({ ...valid, concurrency: 20 }, 'http')).toEqual(['concurrency 20 with 256Mi (0.167 vCPU): below 1 vCPU, concurrency must be 1']);
    expect(topologyViolations({ ...valid, concurrency: 20, memory: '1Gi' }, 'http')).toHaveLength(1);
    expect(topologyViolations({ ...valid, concurrency: 20, memory: '2Gi' }, 'http')).toEqual([]);
  });

  it('refuse a memory size Cloud Functions does not document, and one not written in Mi or Gi', () => {
    expect(topologyViolations({ ...valid, memory: '300Mi' }, 'event')).toHaveLength(1);
    expect(() => topologyViolations({ ...valid, memory: '256M' }, 'event')).toThrow(/<number>Mi/);
  });

  it('allow 3600 s to an HTTP function and 540 s to an event-driven one, and no more', () => {
    expect(topologyViolations({ ...valid, timeoutSeconds: 3600 }, 'http')).toEqual([]);
    expect(topologyViolations({ ...valid, timeoutSeconds: 3601 }, 'http')).toHaveLength(1);
    expect(topologyViolations({ ...valid, timeoutSeconds: 540 }, 'event')).toEqual([]);
    expect(topologyViolations({ ...valid, timeoutSeconds: 541 }, 'event')).toEqual(['timeout 541 s is outside 1..540 s for an event-driven function']);
  });

  it('refuse a maximum of no instance, and concurrency outside 1..1000', () => {
    expect(topologyViolations({ ...valid, maxInstances: 0 }, 'event')).toHaveLength(1);
    expect(topologyViolations({ ...valid, concurrency: 0 }, 'event')).toHaveLength(1);
    expect(topologyViolations({ ...valid, concurrency: 1001, memory: '2Gi' }, 'event')).toHaveLength(1);
  });
});
