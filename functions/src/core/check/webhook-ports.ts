import type { NetworkConfig, ServiceSpec, WebhookSpec, WorkloadSpec } from '../config/specs.js';

/** The port the control plane dials for a webhook, and how kfguard found it. */
export interface WebhookPort {
  webhook: WebhookSpec;
  port: number;
  /** "service cert-manager/cert-manager-webhook:443 → targetPort https → containerPort 10250". */
  path: string;
  /** False when the Service or workload was not among the inputs and the Service port was assumed. */
  resolved: boolean;
}

function selects(service: ServiceSpec, workload: WorkloadSpec): boolean {
  const selector = Object.entries(service.selector);
  return workload.namespace === service.namespace && selector.length > 0 && selector.every(([key, value]) => workload.podLabels[key] === value);
}

function namedContainerPort(config: NetworkConfig, service: ServiceSpec, name: string): number | undefined {
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
 * → (when named) the containerPort of the workload the Service selects. URL webhooks use the URL's port.
 */
export function resolveWebhookPorts(config: NetworkConfig): WebhookPort[] {
  const resolved: WebhookPort[] = [];
  for (const webhook of config.webhooks) {
    if (webhook.url) {
      const port = urlPort(webhook.url);
      if (port !== undefined) resolved.push({ webhook, port, path: `url ${webhook.url}`, resolved: true });
      continue;
    }
    const ref = webhook.service;
    if (!ref) continue;
    const where = `service ${ref.namespace}/${ref.name}:${ref.port}`;
    const service = config.services.find((candidate) => candidate.namespace === ref.namespace && candidate.name === ref.name);
    const servicePort = service?.ports.find((candidate) => candidate.port === ref.port);
    if (!service || !servicePort) {
      resolved.push({ webhook, port: ref.port, path: `${where} (Service not among the inputs: its port assumed)`, resolved: false });
      continue;
    }
    if (typeof servicePort.targetPort === 'number') {
      resolved.push({ webhook, port: servicePort.targetPort, path: `${where} → targetPort ${servicePort.targetPort}`, resolved: true });
      continue;
    }
    const containerPort = namedContainerPort(config, service, servicePort.targetPort);
    resolved.push(
      containerPort === undefined
        ? { webhook, port: ref.port, path: `${where} → targetPort ${servicePort.targetPort} (no selected workload names it: Service port assumed)`, resolved: false }
        : { webhook, port: containerPort, path: `${where} → targetPort ${servicePort.targetPort} → containerPort ${containerPort}`, resolved: true },
    );
  }
  return resolved;
}
