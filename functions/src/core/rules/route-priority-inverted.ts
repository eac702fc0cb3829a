import { checkObservation } from '../check/observation.js';
import { isDefaultRoute, projectFlag, routesInScope, vipRoutes } from '../check/network.js';
import { shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

export const routePriorityInverted: CheckRule = {
  id: 'route-priority-inverted',
  title: 'The default route does not lose to the Google APIs route',
  severity: 'warning',
  source: 'configuration',
  requires: ['routes'],
  why:
    "The guide: \"make sure any default route to the internet has a larger value for the priority than any routes to private GCP APIs so that the private routes match first\"; the blueprint gives the VIP route 1000 and the internet route 1100. GCP prefers the more specific destination before it looks at priority, so a /30 VIP route still wins today, but an equal or smaller number on the default route is the misconfiguration the guide warns about and breaks as soon as the VIP route is widened or replaced.",
  remediation: 'Give the 0.0.0.0/0 route a larger priority number than every route to 199.36.153.4/30 or 199.36.153.8/30 (the blueprint uses 1100 against 1000).',
  check(context) {
    const routes = routesInScope(context);
    const vips = vipRoutes(routes);
    if (vips.length === 0) return [];
    const weakest = Math.max(...vips.map((route) => route.priority));
    return routes
      .filter((route) => isDefaultRoute(route) && route.priority <= weakest)
      .map((route) =>
        checkObservation(routePriorityInverted, {
          key: [context.network, route.name],
          flow: { direction: 'EGRESS', protocol: 'all', source: 'nodes', destination: route.destRange.text, ports: [] },
          resources: [`route:${route.name}`, ...vips.map((vip) => `route:${vip.name}`)],
          explanation: `Default route ${route.name} has priority ${route.priority}, not larger than the Google APIs route${vips.length > 1 ? 's' : ''} (${vips.map((vip) => `${vip.name} ${vip.destRange.text} priority ${vip.priority}`).join(', ')}).`,
          remediation: {
            summary: `Recreate ${route.name} with priority ${weakest + 100} (routes cannot be updated in place).`,
            gcloud: [
              `gcloud compute routes delete ${shellArg(route.name)}${projectFlag(context)} --quiet`,
              `gcloud compute routes create ${shellArg(route.name)}${projectFlag(context)} --network=${shellArg(route.network ?? 'NETWORK')} --destination-range=0.0.0.0/0 --next-hop-gateway=default-internet-gateway --priority=${weakest + 100}`,
            ].join('\n'),
            manifest: `spec:\n  priority: ${weakest + 100}\n`,
          },
        }),
      );
  },
};
