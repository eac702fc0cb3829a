import { parseCidr, type Cidr } from './cidr.js';

const ranges = (...texts: string[]): readonly Cidr[] => texts.map(parseCidr);

/** Google Cloud load-balancer and health-check probers. */
export const HEALTH_CHECK_RANGES = ranges('35.191.0.0/16', '130.211.0.0/22', '2600:2d00:1:b029::/64', '2600:2d00:1:1::/64');
/** Older load balancers' probers (network load balancers); Google's own policies still list them. */
export const LEGACY_HEALTH_CHECK_RANGES = ranges('209.85.152.0/22', '209.85.204.0/22');
/** IAP TCP forwarding. */
export const IAP_RANGES = ranges('35.235.240.0/20');
export const RESTRICTED_APIS_RANGE = parseCidr('199.36.153.4/30');
export const PRIVATE_APIS_RANGE = parseCidr('199.36.153.8/30');
export const GOOGLE_APIS_VIP_RANGES: readonly Cidr[] = [RESTRICTED_APIS_RANGE, PRIVATE_APIS_RANGE];
export const METADATA_SERVER = parseCidr('169.254.169.254/32');
export const ANYWHERE_V4 = parseCidr('0.0.0.0/0');

/**
 * Well-known Google-owned blocks that public googleapis.com, gcr.io and pkg.dev names resolve to.
 * Not exhaustive (Google publishes the full list as goog.json, which this offline engine cannot
 * fetch); it only decides whether to add the "DNS is not using the restricted VIP" hint.
 */
export const GOOGLE_PUBLIC_RANGES = ranges(
  '8.8.4.0/24',
  '8.8.8.0/24',
  '64.233.160.0/19',
  '66.102.0.0/20',
  '66.249.64.0/19',
  '72.14.192.0/18',
  '74.125.0.0/16',
  '108.177.0.0/17',
  '142.250.0.0/15',
  '172.217.0.0/16',
  '172.253.0.0/16',
  '173.194.0.0/16',
  '209.85.128.0/17',
  '216.58.192.0/19',
  '216.239.32.0/19',
);

/** Ports GKE's own `gke-NAME-HASH-master` rule opens from the control plane to nodes. */
export const GKE_MASTER_PORTS: readonly number[] = [443, 10250];
/** The only port nodes use to reach a private control plane. */
export const CONTROL_PLANE_API_PORT = 443;
