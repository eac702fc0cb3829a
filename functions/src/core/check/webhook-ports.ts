import type { NetworkConfig, ServiceSpec, WebhookSpec, WorkloadSpec } from '../config/specs.js';
import type { Traffic } from '../firewall/evaluator.js';
import type { FirewallContext } from './context.js';

/** The port the control plane dials for a webhook, and how kfguard found it. */
export interface WebhookPort {
  webhook: WebhookSpec;
  port: number;
  /** "service cert-manager/cert-manager-webhook:443 → targetPort https → containerPort 10250". */
  path: string;
}

/** A webhook whose port kfguard could not find in the inputs, and why. */
export interface UnresolvedWebhookPort {
  webhook: WebhookSpec;
  /** What it calls: the Service reference "cert-manager/cert-manager-webhook:443", or its URL. */
  target: string;
  reason: string;
}

export interface WebhookPorts {
  resolved: WebhookPort[];
  unresolved: UnresolvedWebhookPort[];
}

function selects(service: ServiceSpec, workload: WorkloadSpec): boolean {
  const selector = Object.entries(service.selector);
  return workload.namespace === service.namespace && selector.length > 0 && selector.every(([key, value]) => workload.podLabels[key] === value);
}

/** The container port a Service's named targetPort refers to, in the workloads the Service selects. */
export function namedContainerPort(config: NetworkConfig, service: ServiceSpec, name: string): number | undefined {
  for (const workload of config.workloads.filter((candidate) => selects(service, candidate))) {
    for (const container of workload.containers) {
      const port = container.ports.find((candidate) => candidate.name === name);
      if (port) return port.containerPort;
    }
  }
  return undefined;
}

function urlPort(url: string): number | undefined {
  try {
    const parsed = new URL(url);
    return parsed.port ? Number(parsed.port) : parsed.protocol === 'http:' ? 80 : 443;
  } catch {
    return undefined;
  }
}

/**
 * Resolves each webhook to the port the API server really connects to: Service port → targetPort
 * → (when named) the containerPort of the workload the Service selects. URL webhooks use the URL's
 * port. A webhook whose Service or workload is not among the inputs stays unresolved: guessing the
 * Service port would judge a port the API server may never dial.
 */
export function resolveWebhookPorts(config: NetworkConfig): WebhookPorts {
  const ports: WebhookPorts = { resolved: [], unresolved: [] };
  for (const webhook of config.webhooks) {
    if (webhook.url) {
      const port = urlPort(webhook.url);
      if (port !== undefined) ports.resolved.push({ webhook, port, path: `url ${webhook.url}` });
      else ports.unresolved.push({ webhook, target: webhook.url, reason: 'its URL cannot be parsed' });
      continue;
    }
    const ref = webhook.service;
    if (!ref) continue;
    const where = `${ref.namespace}/${ref.name}:${ref.port}`;
    const unresolved = (reason: string): void => {
      ports.unresolved.push({ webhook, target: where, reason });
    };
    const service = config.services.find((candidate) => candidate.namespace === ref.namespace && candidate.name === ref.name);
    const servicePort = service?.ports.find((candidate) => candidate.port === ref.port);
    if (!service) unresolved(`Service ${ref.namespace}/${ref.name} is not among the inputs`);
    else if (!servicePort) unresolved(`Service ${ref.namespace}/${ref.name} has no port ${ref.port}`);
    else if (typeof servicePort.targetPort === 'number') ports.resolved.push({ webhook, port: servicePort.targetPort, path: `service ${where} → targetPort ${servicePort.targetPort}` });
    else {
      const containerPort = namedContainerPort(config, service, servicePort.targetPort);
      if (containerPort === undefined) unresolved(`its targetPort "${servicePort.targetPort}" is named, and no workload among the inputs that the Service selects declares a container port of that name`);
      else ports.resolved.push({ webhook, port: containerPort, path: `service ${where} → targetPort ${servicePort.targetPort} → containerPort ${containerPort}` });
    }
  }
  return ports;
}

/** The control plane calling a webhook on a port: to each pod range, where webhooks are served. */
export function webhookFlows(context: FirewallContext, port: number): Traffic[] {
  const { master } = context.ends;
  if (!master) return [];
  return context.ends.pods.map((pods): Traffic => ({ direction: 'INGRESS', protocol: 'tcp', ports: { from: port, to: port }, source: master, destination: pods }));
}
