import { controlPlaneIngressFix } from '../firewall/fixes.js';
import { shellArg } from '../firewall/proposal.js';
import type { Remediation } from '../findings/finding.js';
import { blockedFlowCause, type CauseSpec } from '../findings/causes.js';
import { findKnownWebhook } from '../kubernetes/known-webhooks.js';
import type { WebhookFailure } from '../kubernetes/webhook-failure.js';
import type { FixContext, RuleInfo } from './rule.js';

const CAUSE_TEXT: Record<WebhookFailure['cause'], string> = {
  timeout: 'The call timed out, which on private GKE almost always means a firewall rule drops control-plane traffic to the webhook port.',
  'connection-refused': 'The connection was refused: the packets arrived, so the firewall is open, but nothing listened (the webhook pod is not ready or listens on another port).',
  unavailable: 'The API server could not reach the webhook service ("the server is currently unable to handle the request"): on private GKE usually the control plane being blocked from the webhook port.',
  tls: 'The TLS handshake failed: the webhook is reachable but its certificate or caBundle is wrong (often cert-manager not having issued it yet).',
  'no-endpoints': 'The Service has no ready endpoints: the webhook pod is not running.',
  other: 'The API server could not complete the call.',
};

/** Failures that mean the call never reached the webhook, which the firewall explains. */
const unreached = (failure: WebhookFailure): boolean => failure.cause === 'timeout' || failure.cause === 'unavailable' || failure.cause === 'other';

export const webhookCallFailed: RuleInfo & {
  explain(failure: WebhookFailure): string;
  fix(failure: WebhookFailure, context: FixContext): Remediation;
  cause(failure: WebhookFailure): CauseSpec | undefined;
} = {
  id: 'webhook-call-failed',
  title: 'The API server failed to call an admission webhook',
  severity: 'error',
  source: 'kubernetes-log',
  why:
    'Creating a resource guarded by an admission webhook makes the API server call the webhook\'s Service. On private GKE the control plane reaches pods only on tcp 443 and 10250 unless a firewall rule opens the webhook\'s target port, so the call times out and the create fails: `failed calling webhook "webhook.cert-manager.io": the server is currently unable to handle the request`.',
  remediation: "Open the webhook's targetPort (the container port behind the Service's 443) from the control-plane /28 to the nodes; `kfguard check --manifests` resolves the port for every webhook.",
  explain: (failure) => {
    const target = failure.service ? ` (service ${failure.namespace}/${failure.service}:${failure.servicePort ?? 443})` : '';
    const known = findKnownWebhook(failure.webhook, failure.service, failure.namespace);
    const port = known ? ` ${known.component} serves on container port ${known.port}, which the control plane must be allowed to reach.` : '';
    return `Webhook ${failure.webhook ?? 'unknown'}${target} failed. ${CAUSE_TEXT[failure.cause]}${port}`;
  },
  // A call that never arrived is the control plane blocked from the webhook's port, seen from the API server.
  cause: (failure) => {
    const known = findKnownWebhook(failure.webhook, failure.service, failure.namespace);
    return known && unreached(failure) ? blockedFlowCause('INGRESS', 'control-plane', 'tcp', [known.port], null) : undefined;
  },
  fix: (failure, context) => {
    const known = findKnownWebhook(failure.webhook, failure.service, failure.namespace);
    if (known && unreached(failure)) {
      return controlPlaneIngressFix(context.model, [known.port], `kfguard: control plane to ${known.component} webhook`, `Allow tcp:${known.port} (${known.component}'s webhook port) from the control-plane range to the nodes.`);
    }
    const service = failure.service ?? 'SERVICE';
    const namespace = failure.namespace ?? 'NAMESPACE';
    return {
      summary:
        failure.cause === 'tls' || failure.cause === 'no-endpoints' || failure.cause === 'connection-refused'
          ? `Check the webhook's pods and certificate: kubectl -n ${namespace} describe service ${service}; then look at its pods' readiness and the caBundle.`
          : "Find the webhook's target port and allow it from the control-plane range to the nodes (kfguard check --manifests does both).",
      gcloud: `kubectl -n ${shellArg(namespace)} get service ${shellArg(service)} -o jsonpath='{.spec.ports[*].targetPort}'`,
      manifest: null,
    };
  },
};
