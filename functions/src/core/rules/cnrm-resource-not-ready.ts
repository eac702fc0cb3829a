import { checkObservation } from '../check/observation.js';
import { shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

export const cnrmResourceNotReady: CheckRule = {
  id: 'cnrm-resource-not-ready',
  title: 'A Config Connector resource is not Ready',
  severity: 'error',
  source: 'cluster-state',
  requires: ['cnrm-status'],
  why: "\"Some of the network resources don't get created\" (kubeflow/gcp-blueprints#38): Config Connector accepts the manifest, then fails to reconcile it, typically because a reference names the wrong network, and the failure only shows in the resource's status. `make apply` succeeds and the cluster later fails in confusing ways.",
  remediation: "Read the resource's Ready condition (kubectl describe), fix the reference or value it names, and reapply.",
  check(context) {
    return context.config.cnrmStatuses
      .filter((status) => !status.ready)
      .map((status) => {
        const namespace = status.namespace ? ` -n ${shellArg(status.namespace)}` : '';
        return checkObservation(cnrmResourceNotReady, {
          key: [status.namespace, status.kind, status.name],
          resources: [`${status.kind}/${status.name}`],
          explanation: `${status.kind} ${status.namespace ? `${status.namespace}/` : ''}${status.name} is not Ready: ${status.reason ?? 'no reason'}${status.message ? `: ${status.message}` : ''}.`,
          remediation: {
            summary: `Fix what the Ready condition of ${status.kind}/${status.name} names, then reapply.`,
            gcloud: `kubectl${namespace} describe ${status.kind.toLowerCase()} ${shellArg(status.name)}`,
            manifest: null,
          },
        });
      });
  },
};
