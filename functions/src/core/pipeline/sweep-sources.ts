import type { Coverage } from '../config/specs.js';
import { CHECK_RULES, ruleById } from '../rules/index.js';
import type { StoredFinding } from './finding-record.js';

/** What the sweep reads; each can fail on its own, and the sweep carries on without it. */
export type SweepSource = 'gke-cluster' | 'gke-operations' | 'compute-dns' | 'config-connector' | 'kubernetes' | 'cloud-logging';

/** Where each kind of configuration a check needs comes from, live. */
const COVERAGE_SOURCE: Readonly<Record<Coverage, SweepSource>> = {
  firewalls: 'compute-dns',
  'firewall-policies': 'compute-dns',
  routes: 'compute-dns',
  routers: 'compute-dns',
  dns: 'compute-dns',
  clusters: 'gke-cluster',
  webhooks: 'kubernetes',
  'cnrm-status': 'config-connector',
};

/** Checks that declare no input judge whatever configuration there is. */
const ALL_CONFIGURATION: readonly SweepSource[] = ['compute-dns', 'config-connector', 'kubernetes'];

/**
 * The sources a finding of this rule is read from. A configuration check also depends on the
 * Compute API whatever it declares: its context (the firewall evaluator, the subnetwork's ranges)
 * is built from it. Log rules depend on the backstop's Cloud Logging read.
 */
export function sourcesOfRule(ruleId: string): readonly SweepSource[] {
  const check = CHECK_RULES.find((rule) => rule.id === ruleId);
  if (check) {
    if (check.requires.length === 0) return ALL_CONFIGURATION;
    const declared = check.requires.map((need) => COVERAGE_SOURCE[need]);
    return [...new Set(check.source === 'configuration' ? ['compute-dns' as const, ...declared] : declared)];
  }
  const source = ruleById(ruleId)?.source;
  if (source === 'gke-operation') return ['gke-operations'];
  if (source === 'firewall-log' || source === 'kubernetes-log') return ['cloud-logging'];
  return [];
}

/** Sources the sweep could not read this time, per finding scope (a cluster's key, or a project's unregistered scope). */
export type UnreadSources = ReadonlyMap<string, ReadonlySet<SweepSource>>;

/**
 * Not seeing a finding again means it is gone only if its sources were read: during an outage of
 * one API, its findings stay open rather than resolve and come back.
 */
export function canResolve(finding: Pick<StoredFinding, 'scope' | 'rule'>, unread: UnreadSources): boolean {
  const failed = unread.get(finding.scope);
  return !failed || !sourcesOfRule(finding.rule).some((source) => failed.has(source));
}
