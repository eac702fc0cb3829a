import { GKE_MASTER_PORTS } from '../net/well-known.js';
import { describeDenial, describePort } from '../diagnosis/describe.js';
import { allowRuleFix } from '../diagnosis/denial-fix.js';
import { webhooksServingPort } from '../kubernetes/known-webhooks.js';
import { isControlPlaneToCluster } from './master-to-node-blocked.js';
import type { DenialRule } from './rule.js';

export const webhookPortBlocked: DenialRule = {
  id: 'webhook-port-blocked',
  title: 'Control plane cannot reach an admission webhook port',
  severity: 'error',
  source: 'firewall-log',
  why:
    "On private GKE only tcp 443 and 10250 are open from the control plane. The API server calls admission webhooks on the Service's targetPort, on the pod IP: istiod 15017, Knative, Katib and the KFP cache server 8443, KServe and the training operator 9443, Kubeflow's admission-webhook 4443. Each needs its own ingress rule from the control-plane /28, or creating the resources they guard fails with `failed calling webhook`.",
  remediation: "Add an ingress allow rule from the control-plane /28 to the node tag on the webhook's target port (the container port, not the Service's 443).",
  matches: (flow) => isControlPlaneToCluster(flow) && !(flow.protocol === 'tcp' && flow.dstPort !== undefined && GKE_MASTER_PORTS.includes(flow.dstPort)),
  explain: (flow) => {
    const known = flow.dstPort === undefined ? [] : webhooksServingPort(flow.dstPort);
    const hint = known.length > 0 ? ` Port ${flow.dstPort} is where ${known.join(', ')} serve${known.length === 1 ? 's' : ''} admission requests.` : '';
    return `${describeDenial(flow)} Only tcp 443 and 10250 are open from the control plane by default, so the API server cannot call a webhook on ${describePort(flow)}.${hint}`;
  },
  fix: (flow, context) =>
    allowRuleFix(flow, context, {
      label: 'webhook',
      nameParts: ['webhook', flow.protocol],
      description: `kfguard: control plane to webhook on ${describePort(flow)}`,
      summary: `Allow ${describePort(flow)} from the control-plane range to the nodes.`,
    }),
};
