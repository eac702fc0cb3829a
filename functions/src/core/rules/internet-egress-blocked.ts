import { INTERNAL_CLASSES, type DeniedFlow } from '../diagnosis/flow.js';
import { describeDenial, describePort } from '../diagnosis/describe.js';
import { allowRuleFix, describeFarRanges } from '../diagnosis/denial-fix.js';
import { ARTIFACT_REGISTRY_DOMAIN, CONTAINER_REGISTRY_DOMAIN, GOOGLE_APIS_DOMAIN, PRIVATE_DNS_CAUSE, privateZonesRemediation } from '../check/dns.js';
import { PLACEHOLDER_NETWORK } from '../firewall/proposal.js';
import { networkProjectOf } from '../model/cluster.js';
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
  cause: (flow) => (looksLikeGoogleApiCall(flow) ? PRIVATE_DNS_CAUSE : undefined),
  matches: (flow) => INTERNAL_CLASSES.has(flow.src.cls) && (flow.dst.cls === 'internet' || flow.dst.cls === 'google-public'),
  explain: (flow) =>
    looksLikeGoogleApiCall(flow)
      ? `${describeDenial(flow)} Traffic to public Google addresses on 443 means names like gcr.io or *.googleapis.com resolve to public addresses instead of the restricted VIP 199.36.153.4/30, so check the private DNS zones rather than opening these addresses.`
      : `${describeDenial(flow)} Private nodes reach the internet only through Cloud NAT and an allow rule above the deny-all egress rule.`,
  fix: (flow, context) =>
    looksLikeGoogleApiCall(flow)
      ? {
          remediation: privateZonesRemediation(
            'Make Google API names resolve to the restricted VIP: private Cloud DNS zones for googleapis.com and gcr.io (and pkg.dev for Artifact Registry images) with A records 199.36.153.4-7 and a wildcard CNAME, visible to the cluster network.',
            { network: flow.network ?? context.model.network ?? PLACEHOLDER_NETWORK, ...(networkProjectOf(context.model) ? { project: networkProjectOf(context.model)! } : {}) },
            [GOOGLE_APIS_DOMAIN, CONTAINER_REGISTRY_DOMAIN],
            [ARTIFACT_REGISTRY_DOMAIN],
          ),
        }
      : allowRuleFix(flow, context, {
          nameParts: ['egress', flow.dst.cls, flow.protocol],
          description: `kfguard: egress to allowed ${flow.dst.cls} sites on ${describePort(flow)}`,
          summary: `For each site the cluster must reach, allow egress on ${describePort(flow)} to ${describeFarRanges(flow)}; Cloud NAT and a 0.0.0.0/0 route to the default internet gateway must exist too.`,
        }),
};
