import type { ClusterModel } from '../model/cluster.js';
import { entryTime, FIREWALL_LOG_ID, isFirewallLog, LogEntrySchema, zodIssueText, type LogEntry } from '../logs/log-entry.js';
import { FirewallPayloadSchema } from '../logs/firewall-log.js';
import { isGkeAuditEntry, operationFromAuditEntry } from '../gke/audit-log.js';
import type { OperationState } from '../gke/operation.js';
import { findWebhookFailureText, parseWebhookFailure } from '../kubernetes/webhook-failure.js';
import { MAX_PORTS_PER_CAUSE, type Observation, type ObservationDetail } from '../findings/finding.js';
import { blockedFlowCause } from '../findings/causes.js';
import type { FirewallEvaluator, Traffic, Verdict } from '../firewall/evaluator.js';
import type { ProofInput } from '../firewall/fix.js';
import { describeRule, type FirewallRule } from '../firewall/rule.js';
import type { FirewallStack } from '../firewall/stack.js';
import type { FirewallContext } from '../check/context.js';
import { blockedFlowSummary } from '../check/firewall-fix.js';
import { trafficOfFlow } from './traffic.js';
import { DENIAL_RULES, webhookCallFailed } from '../rules/index.js';
import type { OperationRule, OperationContext } from '../rules/operation-rule.js';
import { classRanges, describeSpread, endpointLabel, namedByClass } from './describe.js';
import { portsOf } from './denial-fix.js';
import { flowFromFirewallPayload, FlowError, type DeniedFlow, type DenyingRule } from './flow.js';

export interface DiagnosisContext {
  model: ClusterModel;
  /** The firewall rules in force (`analyze --rules`): they name the denying rule and prove each fix. */
  firewall?: { stack: FirewallStack; evaluator: FirewallEvaluator };
  /**
   * The cluster's live firewall as the sweep last read it (its snapshot): it names the denying
   * rule and proves each fix like `firewall`, and fixes for traffic `check` judges are `check`'s.
   */
  live?: FirewallContext;
}

export type Diagnosis =
  | { kind: 'finding'; observation: Observation; denied: boolean; inferred: DeniedFlow['src'][] }
  | { kind: 'operation'; operation: OperationState }
  | { kind: 'ignored'; reason: 'allowed' | 'intercepted' | 'unrelated' | 'operation-step' }
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

/** The flow as the rules in force judge it: the rule that denies it now replaces the logged one. */
function withCurrentRule(flow: DeniedFlow, verdict: Verdict | undefined): DeniedFlow {
  if (!verdict || verdict.allowed) return flow;
  const { rule } = verdict;
  const current: DenyingRule = { reference: flow.rule?.name === rule.name ? flow.rule.reference : referenceOf(rule, flow.network), name: rule.name, layer: rule.layer, priority: rule.priority, targetTags: rule.targetTags, inForce: rule };
  if (rule.network) current.network = rule.network;
  if (rule.policy) current.policy = rule.policy.name;
  return { ...flow, rule: current };
}

/** How a rule's log entries would name it, for a rule kfguard found deciding rather than read from a log. */
function referenceOf(rule: FirewallRule, network: string | undefined): string {
  if (!rule.policy) return `network:${rule.network ?? network ?? ''}/firewall:${rule.name}`;
  return rule.policy.kind === 'hierarchical' ? `organization/firewallPolicy:${rule.policy.name}` : `network:${network ?? ''}/firewallPolicy:${rule.policy.name}`;
}

/**
 * What a fix for this denial is proved against: the stack; the flow; the instances of its near
 * side as the class it stands for; and, as what may open, the far side's whole class to them on
 * this port (one finding stands for every address of the class).
 */
function proofFor(flow: DeniedFlow, traffic: Traffic, firewall: NonNullable<DiagnosisContext['firewall']>): ProofInput {
  const ingress = flow.direction === 'INGRESS';
  const near = ingress ? traffic.destination : traffic.source;
  const nearClass = ingress ? flow.dst : flow.src;
  const nearEnds = nearClass.range ? [{ ...near, range: nearClass.range }] : [near];
  const farClass = ingress ? flow.src : flow.dst;
  const farEnd = ingress ? traffic.source : traffic.destination;
  const farRanges = namedByClass(farClass) ? [farEnd.range] : classRanges(farClass);
  const needed = farRanges.flatMap((range) => nearEnds.map((end): Traffic => (ingress ? { ...traffic, source: { ...farEnd, range }, destination: end } : { ...traffic, source: end, destination: { ...farEnd, range } })));
  return { stack: firewall.stack, flows: [{ traffic }], nearEnds, needed };
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
  const firewall = context.live ?? context.firewall;
  const traffic = firewall ? trafficOfFlow(logged, context.model) : undefined;
  const verdict = firewall && traffic ? firewall.evaluator.evaluate(traffic) : undefined;
  const flow = withCurrentRule(logged, verdict);
  const rule = DENIAL_RULES.find((candidate) => candidate.matches(flow))!;
  const source = endpointLabel(flow.src);
  const destination = endpointLabel(flow.dst);
  const firewallRule = flow.rule?.name ?? null;
  const otherPorts = keyOf(rule.id, flow.direction, flow.protocol, source, destination, OTHER_PORTS, firewallRule);
  const detail = (): ObservationDetail => {
    const proof = firewall && traffic && verdict && !verdict.allowed ? proofFor(flow, traffic, firewall) : undefined;
    const fix = rule.fix(flow, { model: context.model, ...(proof ? { proof } : {}), ...(context.live ? { live: context.live } : {}) });
    const now = verdict?.allowed ? ` The ${context.live ? 'live' : 'given'} rules now allow this flow (by ${describeRule(verdict.rule)}): it was fixed after these entries, or the instance's tags differ from what kfguard assumed.` : '';
    return { explanation: rule.explain(flow) + now, remediation: fix.remediation };
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
    firewallLayer: flow.rule?.layer ?? null,
    resources: denialResources(flow),
    detail,
    cause: rule.cause?.(flow) ?? blockedFlowCause(flow.direction, flow.direction === 'INGRESS' ? flow.src.cls : flow.dst.cls, flow.protocol, portsOf(flow), firewallRule),
  };
  if (verdict) observation.allowedNow = verdict.allowed;
  if (time) observation.time = time;
  return observation;
}

function diagnoseFirewallEntry(entry: LogEntry, context: DiagnosisContext): Diagnosis {
  const payload = FirewallPayloadSchema.safeParse(entry.jsonPayload);
  if (!payload.success) return { kind: 'rejected', reason: `firewall log jsonPayload: ${zodIssueText(payload.error)}` };
  const disposition = payload.data.disposition.toUpperCase();
  // A firewall policy rule hands INTERCEPTED traffic to inspection: not a denial.
  if (disposition === 'INTERCEPTED') return { kind: 'ignored', reason: 'intercepted' };
  if (disposition !== 'DENIED') return { kind: 'ignored', reason: 'allowed' };
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

/**
 * With the rules in force: whether they let the control plane reach the pods on a webhook's port
 * now. Undefined without the rules or the ranges to judge it with.
 */
function controlPlaneReaches(port: number, context: DiagnosisContext): boolean | undefined {
  const { firewall, model } = context;
  const pods = model.podCidrs[0];
  if (!firewall || !model.masterCidr || !pods) return undefined;
  return firewall.evaluator.judge({
    direction: 'INGRESS',
    protocol: 'tcp',
    ports: { from: port, to: port },
    source: { range: model.masterCidr, tags: [], serviceAccounts: [], primaryAddress: true, instance: false },
    destination: { range: pods, tags: model.nodeTags, serviceAccounts: model.nodeServiceAccounts ?? [], primaryAddress: false, instance: true },
  }).allowed;
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
  // Against the live rules the failure gets the deciding rule and the blocked flow, as the sweep's webhook-port-not-allowed does.
  const judged = context.live ? webhookCallFailed.judge(failure, context.live) : undefined;
  const block = judged?.block;
  const observation: Observation = {
    rule: webhookCallFailed.id,
    severity: webhookCallFailed.severity,
    title: webhookCallFailed.title,
    key: keyOf(webhookCallFailed.id, failure.webhook, failure.namespace, failure.service, failure.servicePort, failure.cause),
    flow: block ? blockedFlowSummary(undefined, block.pieces, { sourceClass: 'control-plane', destinationClass: 'pod' }) : null,
    firewallRule: block?.rule.name ?? null,
    firewallLayer: block?.rule.layer ?? null,
    resources,
    detail: () => ({ explanation: webhookCallFailed.explain(failure, judged), remediation: webhookCallFailed.fix(failure, context, judged) }),
  };
  const cause = webhookCallFailed.cause(failure);
  if (cause) observation.cause = block && cause.kind === 'blocked-flow' ? { ...cause, rule: block.rule.name } : cause;
  const allowed = judged ? !block : cause?.kind === 'blocked-flow' ? controlPlaneReaches(cause.ports[0] as number, context) : undefined;
  if (allowed !== undefined) observation.allowedNow = allowed;
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
    firewallLayer: null,
    resources: [`operation:${op.name}`, ...(op.cluster ? [`cluster:${op.cluster}`] : [])],
    detail: () => ({ explanation: rule.explain(op, context), remediation: rule.fix(op) }),
  };
  if (op.startTime) observation.time = op.startTime;
  observation.until = op.endTime ?? context.now.toISOString();
  return observation;
}
