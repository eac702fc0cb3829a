import { INTERNAL_CLASSES, type DeniedFlow } from '../diagnosis/flow.js';
import { describeDenial, describePort } from '../diagnosis/describe.js';
import { allowRuleFix } from '../diagnosis/denial-fix.js';
import type { DenialRule } from './rule.js';

const looksLikeGoogleApiCall = (flow: DeniedFlow): boolean => flow.dst.cls === 'google-public' && flow.dstPort === 443;

export const internetEgressBlocked: DenialRule = {
  id: 'internet-egress-blocked',
  title: 'Egress to the internet is blocked',
  severity: 'warning',
  source: 'firewall-log',
  why:
    "Private nodes reach the internet only through Cloud NAT, and only where an allow rule sits above the deny-all egress rule (IAP's JWKs at www.gstatic.com, DockerHub, Quay). A denial to a public Google address on 443 usually means something else: DNS resolves googleapis.com or gcr.io to public addresses instead of the restricted VIP, so pulls from GCR fail.",
  remediation:
    'For a site the cluster must reach: an egress allow rule for its addresses above the deny-all rule, plus Cloud NAT and a default route. For Google APIs: a private DNS zone for googleapis.com, gcr.io (and pkg.dev) resolving to 199.36.153.4/30.',
  matches: (flow) => INTERNAL_CLASSES.has(flow.src.cls) && (flow.dst.cls === 'internet' || flow.dst.cls === 'google-public'),
  explain: (flow) =>
    looksLikeGoogleApiCall(flow)
      ? `${describeDenial(flow)} ${flow.dst.ip.text} is a public Google address on 443: names like gcr.io or *.googleapis.com are resolving to public addresses instead of the restricted VIP 199.36.153.4/30, so check the private DNS zones rather than opening this address.`
      : `${describeDenial(flow)} Private nodes reach the internet only through Cloud NAT and an allow rule above the deny-all egress rule.`,
  fix: (flow, context) =>
    looksLikeGoogleApiCall(flow)
      ? {
          remediation: {
          summary:
            'Make Google API names resolve to the restricted VIP: private Cloud DNS zones for googleapis.com and gcr.io (and pkg.dev) with A records 199.36.153.4-7 and a wildcard CNAME, visible to the cluster network.',
          gcloud: [
            `gcloud dns managed-zones create googleapis --dns-name=googleapis.com. --visibility=private --networks=${flow.network ?? context.model.network ?? 'NETWORK'} --description='kfguard: restricted VIP'`,
            'gcloud dns record-sets create restricted.googleapis.com. --zone=googleapis --type=A --ttl=300 --rrdatas=199.36.153.4,199.36.153.5,199.36.153.6,199.36.153.7',
            "gcloud dns record-sets create '*.googleapis.com.' --zone=googleapis --type=CNAME --ttl=300 --rrdatas=restricted.googleapis.com.",
          ].join('\n'),
          manifest: null,
          },
        }
      : allowRuleFix(flow, context, {
          nameParts: ['egress', flow.dst.ip.text.replace(/[.:]/g, '-')],
          description: `kfguard: egress to ${flow.dst.ip.text} on ${describePort(flow)}`,
          summary: `If the cluster must reach ${flow.dst.ip.text}, allow egress to it on ${describePort(flow)}; Cloud NAT and a 0.0.0.0/0 route to the default internet gateway must exist too.`,
        }),
};
