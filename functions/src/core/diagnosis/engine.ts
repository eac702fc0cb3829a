import type { ClusterModel } from '../model/cluster.js';
import { entryTime, FIREWALL_LOG_ID, isFirewallLog, LogEntrySchema, zodIssueText, type LogEntry } from '../logs/log-entry.js';
import { FirewallPayloadSchema } from '../logs/firewall-log.js';
import { isGkeAuditEntry, operationFromAuditEntry } from '../gke/audit-log.js';
import type { OperationState } from '../gke/operation.js';
import { findWebhookFailureText, parseWebhookFailure } from '../kubernetes/webhook-failure.js';
import { MAX_PORTS_PER_CAUSE, type Observation, type ObservationDetail, type Remediation } from '../findings/finding.js';
import type { FirewallEvaluator, Traffic, Verdict } from '../firewall/evaluator.js';
import type { FirewallRule } from '../firewall/rule.js';
import { scopeOf, verifyProposal } from '../firewall/verify.js';
import { PLACEHOLDER_NODE_TAG } from '../firewall/proposal.js';
import type { DenialFix } from '../rules/rule.js';
import { trafficOfFlow } from './traffic.js';
import { DENIAL_RULES, webhookCallFailed } from '../rules/index.js';
import type { OperationRule, OperationContext } from '../rules/operation-rule.js';
import { classRanges, describeSpread, endpointLabel, namedByClass } from './describe.js';
import { portsOf } from './denial-fix.js';
import { flowFromFirewallPayload, FlowError, type DeniedFlow, type DenyingRule } from './flow.js';

export interface DiagnosisContext {
  model: ClusterModel;
  /** The firewall rules in force (`analyze --rules`): they name the denying rule and prove each fix. */
  firewall?: { rules: FirewallRule[]; evaluator: FirewallEvaluator };
}

export type Diagnosis =
  | { kind: 'finding'; observation: Observation; denied: boolean; inferred: DeniedFlow['src'][] }
  | { kind: 'operation'; operation: OperationState }
  | { kind: 'ignored'; reason: 'allowed' | 'unrelated' | 'operation-step' }
  | { kind: 'rejected'; reason: string };

function keyOf(...parts: (string | number | undefined | null)[]): string {
  return parts.map((part) => (part === undefined || part === null ? '' : String(part))).join('|');
}

/**
 * The VMs involved, and the addresses of the ends named by class: a finding's sample of them,
 * bounded like all its resources.
 */
function denialResources(flow: DeniedFlow): string[] {
  const vms = [flow.src.vm, flow.dst.vm].filter((vm): vm is string => vm !== undefined).map((vm) => `vm:${vm}`);
  const addresses = [flow.src, flow.dst].filter(namedByClass).map((end) => `ip:${end.ip.text}`);
  return [...vms, ...addresses];
}

function unfilledText(unfilled: readonly string[]): string {
  const ranges = unfilled.filter((value) => value !== PLACEHOLDER_NODE_TAG);
  const reasons = [unfilled.includes(PLACEHOLDER_NODE_TAG) ? "the nodes' tag is unknown (pass --cluster)" : '', ranges.length > 0 ? `${ranges.join(', ')} must be filled in first` : ''];
  return reasons.filter(Boolean).join(' and ');
}

/** With --rules, the fix is proved against every rule in force before it is proposed. */
function verifiedFix(flow: DeniedFlow, fix: DenialFix, firewall: NonNullable<DiagnosisContext['firewall']>, traffic: Traffic, blocking: string): Remediation {
  if (!fix.proposal) return fix.remediation;
  // The finding stands for the far side's whole class, so the fix may open all of its ranges.
  const scope = { ...scopeOf([traffic]), farRanges: classRanges(flow.direction === 'INGRESS' ? flow.src : flow.dst) };
  const proof = verifyProposal(firewall.rules, fix.proposal, [traffic], scope);
  const verified = proof.letsThrough && proof.minimal;
  const why =
    proof.unfilled.length > 0
      ? unfilledText(proof.unfilled)
      : proof.letsThrough
        ? 'it opens more than this flow'
        : `it would not win over ${blocking}; change that rule instead`;
  const summary = verified
    ? `${fix.remediation.summary} Verified against the ${firewall.rules.length} given rules: it lets this flow through and opens nothing beyond its range and port.`
    : `${fix.remediation.summary} Not verified: ${why}.`;
  return { ...fix.remediation, summary, verified };
}

/** The flow as the rules in force judge it: the rule that denies it now replaces the logged one. */
function withCurrentRule(flow: DeniedFlow, verdict: Verdict | undefined): DeniedFlow {
  if (!verdict || verdict.allowed || verdict.rule.name === flow.rule?.name) return flow;
  const { rule } = verdict;
  const current: DenyingRule = { reference: `network:${rule.network ?? flow.network ?? ''}/firewall:${rule.name}`, name: rule.name, priority: rule.priority, targetTags: rule.targetTags };
  if (rule.network) current.network = rule.network;
  return { ...flow, rule: current };
}

/** Stands for the port in the key of the finding that the ports past the first few fold into. */
const OTHER_PORTS = '*';

/** A cause denied on many ports is a scan, or a deny doing its job: no single allow rule is the fix. */
function spreadDetail(flow: DeniedFlow): ObservationDetail {
  return {
    explanation: `${describeSpread(flow, MAX_PORTS_PER_CAUSE)} The first ${MAX_PORTS_PER_CAUSE} ports have findings of their own; flow.ports lists some of the others.`,
    remediation: {
      summary: 'Traffic spread over this many ports is usually a scan that the deny rule stops as it should. If some of these ports must be open, allow each from the sources that need it.',
      gcloud: null,
      manifest: null,
    },
  };
}

export function denialObservation(logged: DeniedFlow, context: DiagnosisContext, time: string | undefined): Observation {
  const { firewall } = context;
  const traffic = firewall ? trafficOfFlow(logged, context.model) : undefined;
  const verdict = firewall && traffic ? firewall.evaluator.evaluate(traffic) : undefined;
  const flow = withCurrentRule(logged, verdict);
  const rule = DENIAL_RULES.find((candidate) => candidate.matches(flow))!;
  const source = endpointLabel(flow.src);
  const destination = endpointLabel(flow.dst);
  const firewallRule = flow.rule?.name ?? null;
  const otherPorts = keyOf(rule.id, flow.direction, flow.protocol, source, destination, OTHER_PORTS, firewallRule);
  const detail = (): ObservationDetail => {
    const fix = rule.fix(flow, context);
    if (!firewall || !traffic || !verdict) return { explanation: rule.explain(flow), remediation: fix.remediation };
    const now = verdict.allowed ? ` The given rules now allow this flow (by ${verdict.rule.name}): it was fixed after these entries, or the instance's tags differ from what kfguard assumed.` : '';
    return { explanation: rule.explain(flow) + now, remediation: verifiedFix(flow, fix, firewall, traffic, verdict.rule.name) };
  };
  const observation: Observation = {
    rule: rule.id,
    severity: rule.severity,
    title: rule.title,
    key: keyOf(rule.id, flow.direction, flow.protocol, source, destination, flow.dstPort, firewallRule),
    portGroup: {
      key: otherPorts,
      folded: () => {
        const { portGroup: _ungrouped, ...cause } = observation;
        return { ...cause, key: otherPorts, detail: () => spreadDetail(flow) };
      },
    },
    flow: {
      direction: flow.direction,
      protocol: flow.protocol,
      source,
      destination,
      ports: portsOf(flow),
      sourceClass: flow.src.cls,
      destinationClass: flow.dst.cls,
    },
    firewallRule,
    resources: denialResources(flow),
    detail,
  };
  if (time) observation.time = time;
  return observation;
}

function diagnoseFirewallEntry(entry: LogEntry, context: DiagnosisContext): Diagnosis {
  const payload = FirewallPayloadSchema.safeParse(entry.jsonPayload);
  if (!payload.success) return { kind: 'rejected', reason: `firewall log jsonPayload: ${zodIssueText(payload.error)}` };
  if (payload.data.disposition.toUpperCase() !== 'DENIED') return { kind: 'ignored', reason: 'allowed' };
  try {
    const flow = flowFromFirewallPayload(payload.data, context.model);
    const project = entry.resource?.labels?.['project_id'];
    if (!flow.project && typeof project === 'string') flow.project = project;
    const inferred = [flow.src, flow.dst].filter((endpoint) => endpoint.inferred);
    return { kind: 'finding', observation: denialObservation(flow, context, entryTime(entry)), denied: true, inferred };
  } catch (error) {
    if (error instanceof FlowError) return { kind: 'rejected', reason: error.message };
    throw error;
  }
}

function isKubernetesEntry(entry: LogEntry): boolean {
  const type = entry.resource?.type ?? '';
  return type.startsWith('k8s_') || type === 'gke_cluster' || (entry.logName?.includes('k8s.io') ?? false);
}

function diagnoseWebhookFailure(entry: LogEntry, context: DiagnosisContext): Diagnosis | undefined {
  const text = findWebhookFailureText(entry.textPayload) ?? findWebhookFailureText(entry.jsonPayload) ?? findWebhookFailureText(entry.protoPayload);
  const failure = text ? parseWebhookFailure(text) : undefined;
  if (!failure) return undefined;
  const cluster = entry.resource?.labels?.['cluster_name'];
  const resources = [
    failure.webhook && `webhook:${failure.webhook}`,
    failure.service && `service:${failure.namespace}/${failure.service}:${failure.servicePort}`,
    typeof cluster === 'string' && `cluster:${cluster}`,
  ].filter((name): name is string => typeof name === 'string');
  const observation: Observation = {
    rule: webhookCallFailed.id,
    severity: webhookCallFailed.severity,
    title: webhookCallFailed.title,
    key: keyOf(webhookCallFailed.id, failure.webhook, failure.namespace, failure.service, failure.servicePort, failure.cause),
    flow: null,
    firewallRule: null,
    resources,
    detail: () => ({ explanation: webhookCallFailed.explain(failure), remediation: webhookCallFailed.fix(failure, context) }),
  };
  const time = entryTime(entry);
  if (time) observation.time = time;
  return { kind: 'finding', observation, denied: false, inferred: [] };
}

/**
 * ALLOWED firewall entries are most of any export and never become findings, so they are
 * recognised before schema validation: kfguard counts them and does not check their payload.
 */
function isAllowedFirewallEntry(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const { logName, jsonPayload } = value as { logName?: unknown; jsonPayload?: { disposition?: unknown } };
  return typeof logName === 'string' && logName.endsWith(FIREWALL_LOG_ID) && typeof jsonPayload === 'object' && jsonPayload?.disposition === 'ALLOWED';
}

/**
 * Diagnoses one LogEntry: a DENIED firewall entry or a failed webhook call becomes an
 * observation, a GKE audit entry an operation update; everything else is ignored. Never throws
 * on bad input: it is rejected with the reason.
 */
export function diagnoseEntry(value: unknown, context: DiagnosisContext): Diagnosis {
  if (isAllowedFirewallEntry(value)) return { kind: 'ignored', reason: 'allowed' };
  const parsed = LogEntrySchema.safeParse(value);
  if (!parsed.success) return { kind: 'rejected', reason: zodIssueText(parsed.error) };
  const entry = parsed.data;
  if (isFirewallLog(entry)) return diagnoseFirewallEntry(entry, context);
  if (isGkeAuditEntry(entry)) {
    const operation = operationFromAuditEntry(entry);
    return operation ? { kind: 'operation', operation } : { kind: 'ignored', reason: 'operation-step' };
  }
  if (isKubernetesEntry(entry)) {
    const webhook = diagnoseWebhookFailure(entry, context);
    if (webhook) return webhook;
  }
  return { kind: 'ignored', reason: 'unrelated' };
}

export function operationObservation(op: OperationState, rule: OperationRule, context: OperationContext): Observation {
  const observation: Observation = {
    rule: rule.id,
    severity: rule.severity,
    title: rule.title,
    key: keyOf(rule.id, op.project, op.location, op.name),
    flow: null,
    firewallRule: null,
    resources: [`operation:${op.name}`, ...(op.cluster ? [`cluster:${op.cluster}`] : [])],
    detail: () => ({ explanation: rule.explain(op, context), remediation: rule.fix(op) }),
  };
  if (op.startTime) observation.time = op.startTime;
  observation.until = op.endTime ?? context.now.toISOString();
  return observation;
}
