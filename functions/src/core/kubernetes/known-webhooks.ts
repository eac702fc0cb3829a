/**
 * Admission webhooks a Kubeflow install brings, with the port the control plane dials: the
 * Service's targetPort resolved to the container port, not the Service's 443.
 */
export interface KnownWebhook {
  component: string;
  namespace: string;
  service: string;
  /** Matched against webhook names in API server errors. */
  webhookName: RegExp;
  port: number;
}

export const KNOWN_WEBHOOKS: readonly KnownWebhook[] = [
  { component: 'cert-manager', namespace: 'cert-manager', service: 'cert-manager-webhook', webhookName: /cert-manager\.io$/, port: 10250 },
  { component: 'istiod', namespace: 'istio-system', service: 'istiod', webhookName: /istio\.io$/, port: 15017 },
  { component: 'Knative serving', namespace: 'knative-serving', service: 'webhook', webhookName: /serving\.knative\.dev$/, port: 8443 },
  { component: 'Knative eventing', namespace: 'knative-eventing', service: 'eventing-webhook', webhookName: /eventing\.knative\.dev$/, port: 8443 },
  { component: 'KServe', namespace: 'kubeflow', service: 'kserve-webhook-server-service', webhookName: /kserve-webhook-server|serving\.kserve\.io$/, port: 9443 },
  { component: 'Kubeflow admission-webhook (PodDefaults)', namespace: 'kubeflow', service: 'admission-webhook-service', webhookName: /^admission-webhook|poddefault/, port: 4443 },
  { component: 'Katib', namespace: 'kubeflow', service: 'katib-controller', webhookName: /katib\.kubeflow\.org$/, port: 8443 },
  { component: 'KFP cache server', namespace: 'kubeflow', service: 'cache-server', webhookName: /^cache-server\./, port: 8443 },
  { component: 'training-operator', namespace: 'kubeflow', service: 'training-operator', webhookName: /training-operator|\.kubeflow\.org$/, port: 9443 },
  { component: 'OPA Gatekeeper', namespace: 'gatekeeper-system', service: 'gatekeeper-webhook-service', webhookName: /gatekeeper\.sh$/, port: 8443 },
];

export function webhooksServingPort(port: number): string[] {
  return [...new Set(KNOWN_WEBHOOKS.filter((webhook) => webhook.port === port).map((webhook) => webhook.component))];
}

/** The webhook kfguard recognises by its name or Service, if any. */
export function findKnownWebhook(name: string | undefined, service: string | undefined, namespace: string | undefined): KnownWebhook | undefined {
  return (
    KNOWN_WEBHOOKS.find((webhook) => service !== undefined && webhook.service === service && (namespace === undefined || webhook.namespace === namespace)) ??
    KNOWN_WEBHOOKS.find((webhook) => name !== undefined && webhook.webhookName.test(name))
  );
}
