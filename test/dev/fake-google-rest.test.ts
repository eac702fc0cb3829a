import { GoogleAuth, OAuth2Client, PassThroughClient } from 'google-auth-library';
import type { AuthClient } from 'google-auth-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeGoogleRest } from '../../functions/src/dev/fakes/google-rest.js';

// google-auth-library must never probe the metadata server from a test.
process.env.METADATA_SERVER_DETECTION = 'none';

const PROJECT = 'kf-test-project';
const COMPUTE = 'https://www.googleapis.com/compute/v1/';
const NETWORK_URL = `${COMPUTE}projects/${PROJECT}/global/networks/kf-net`;

const FIREWALLS = [
  { name: 'gke-kf-01234567-master', network: 'kf-net', sourceRanges: ['172.16.0.32/28'], targetTags: ['gke-kf-01234567-node'], allowed: [{ IPProtocol: 'tcp', ports: ['443', '10250'] }] },
  { name: 'deny-all-egress', network: 'kf-net', direction: 'EGRESS', priority: 65000, destinationRanges: ['0.0.0.0/0'], denied: [{ IPProtocol: 'all' }] },
  { name: 'allow-health-checks', network: `projects/${PROJECT}/global/networks/kf-net`, sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'], allowed: [{ IPProtocol: 'tcp' }], logConfig: { enable: true, metadata: 'INCLUDE_ALL_METADATA' } },
  { name: 'allow-iap-ssh', network: NETWORK_URL, sourceRanges: ['35.235.240.0/20'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
  { name: 'default-allow-icmp', network: 'default', sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'icmp' }], priority: 65534 },
];

const ROUTERS = [
  { name: 'kf-router', region: 'us-central1', network: 'kf-net', nats: [{ name: 'kf-nat', sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES', natIpAllocateOption: 'AUTO_ONLY' }] },
  { name: 'kf-router-2', region: `projects/${PROJECT}/regions/us-central1`, network: 'kf-net' },
  { name: 'eu-router', region: `${COMPUTE}projects/${PROJECT}/regions/europe-west1`, network: 'kf-net' },
];

function seedCompute(fake: FakeGoogleRest): void {
  fake.setCompute(PROJECT, {
    firewalls: FIREWALLS,
    routes: [
      { name: 'private-google-access', network: 'kf-net', destRange: '199.36.153.4/30', nextHopGateway: `projects/${PROJECT}/global/gateways/default-internet-gateway` },
      { name: 'default-route', network: 'kf-net', destRange: '0.0.0.0/0', nextHopGateway: 'global/gateways/default-internet-gateway', priority: 1000 },
    ],
    networks: [{ name: 'kf-net', autoCreateSubnetworks: false }, { name: 'default', autoCreateSubnetworks: true }],
    subnetworks: [{ name: 'kf-subnet', region: 'us-central1', network: 'kf-net', ipCidrRange: '10.10.10.0/24', privateIpGoogleAccess: true }],
    routers: ROUTERS,
  });
}

function seedDns(fake: FakeGoogleRest): void {
  const privateTo = { networks: [{ kind: 'dns#managedZonePrivateVisibilityConfigNetwork', networkUrl: NETWORK_URL }] };
  fake.setDns(PROJECT, {
    managedZones: [
      { name: 'googleapis', dnsName: 'googleapis.com.', visibility: 'private', privateVisibilityConfig: privateTo },
      { name: 'gcr-io', dnsName: 'gcr.io.', visibility: 'private', privateVisibilityConfig: privateTo },
      { name: 'pkg-dev', dnsName: 'pkg.dev.', visibility: 'private', privateVisibilityConfig: privateTo },
    ],
    recordSets: {
      googleapis: [
        { name: 'restricted.googleapis.com.', type: 'A', rrdatas: ['199.36.153.4', '199.36.153.5', '199.36.153.6', '199.36.153.7'] },
        { name: '*.googleapis.com.', type: 'CNAME', rrdatas: ['restricted.googleapis.com.'] },
      ],
      'gcr-io': [{ name: 'gcr.io.', type: 'A', rrdatas: ['199.36.153.4'] }],
    },
  });
}

function tokenClient(): OAuth2Client {
  const client = new OAuth2Client();
  // A far-future expiry keeps the client from trying to refresh the fixed token.
  client.setCredentials({ access_token: 'fake', expiry_date: Date.now() + 3_600_000 });
  return client;
}

/** Follows nextPageToken the way kfguard's REST adapter does. */
async function listAll(client: AuthClient, url: string, key: string, params: Record<string, string | number> = {}): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  do {
    const response = await client.request<any>({ url, params: { ...params, ...(pageToken ? { pageToken } : {}) } });
    items.push(...(response.data[key] ?? []));
    pageToken = response.data.nextPageToken;
    pages += 1;
  } while (pageToken);
  return { items, pages };
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

describe('FakeGoogleRest', () => {
  let fake: FakeGoogleRest;
  let client: OAuth2Client;
  let base: string;

  beforeAll(async () => {
    fake = await FakeGoogleRest.start({ pageSize: 2 });
    base = fake.baseUrl;
    client = tokenClient();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    seedCompute(fake);
    seedDns(fake);
    fake.requests.length = 0;
  });

  describe('Compute', () => {
    it('lists firewalls as the API returns them, one server page at a time', async () => {
      expect(fake.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const { data } = await client.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/global/firewalls` });

      expect(data).toMatchObject({ kind: 'compute#firewallList', id: `projects/${PROJECT}/global/firewalls`, selfLink: `${COMPUTE}projects/${PROJECT}/global/firewalls` });
      expect(data.items.map((firewall: any) => firewall.name)).toEqual(['allow-health-checks', 'allow-iap-ssh']);
      expect(data.nextPageToken).toEqual(expect.any(String));
      const [healthChecks] = data.items;
      expect(healthChecks).toMatchObject({
        kind: 'compute#firewall',
        id: expect.stringMatching(/^\d+$/),
        selfLink: `${COMPUTE}projects/${PROJECT}/global/firewalls/allow-health-checks`,
        network: NETWORK_URL,
        direction: 'INGRESS',
        priority: 1000,
        disabled: false,
        logConfig: { enable: true, metadata: 'INCLUDE_ALL_METADATA' },
        allowed: [{ IPProtocol: 'tcp' }],
        creationTimestamp: expect.any(String),
      });
      expect(fake.requests).toEqual([{ method: 'GET', path: `/compute/v1/projects/${PROJECT}/global/firewalls`, authorization: 'Bearer fake' }]);
    });

    it('follows nextPageToken over several pages, and honours maxResults below the server page size', async () => {
      const url = `${base}/compute/v1/projects/${PROJECT}/global/firewalls`;
      const serverPaged = await listAll(client, url, 'items');
      expect(serverPaged.pages).toBe(3);
      expect(serverPaged.items.map((firewall) => firewall.name)).toEqual(['allow-health-checks', 'allow-iap-ssh', 'default-allow-icmp', 'deny-all-egress', 'gke-kf-01234567-master']);
      expect(serverPaged.items.find((firewall) => firewall.name === 'gke-kf-01234567-master').logConfig).toEqual({ enable: false });

      const onePerPage = await listAll(client, url, 'items', { maxResults: 1 });
      expect(onePerPage.pages).toBe(5);
      expect(onePerPage.items).toEqual(serverPaged.items);
    });

    it('needs no real credentials: GoogleAuth with a PassThroughClient and plain fetch both work', async () => {
      const auth = new GoogleAuth({ authClient: new PassThroughClient() });
      const passThrough = await auth.getClient();
      const { data } = await passThrough.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/global/routes` });
      expect(data.kind).toBe('compute#routeList');
      expect(fake.requests.at(-1)?.authorization).toBeUndefined();

      const response = await fetch(`${base}/compute/v1/projects/${PROJECT}/global/networks/kf-net`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toMatchObject({
        kind: 'compute#network',
        name: 'kf-net',
        autoCreateSubnetworks: false,
        subnetworks: [`${COMPUTE}projects/${PROJECT}/regions/us-central1/subnetworks/kf-subnet`],
      });
    });

    it('expands short references to the full URLs the API returns', async () => {
      const { items: routes } = await listAll(client, `${base}/compute/v1/projects/${PROJECT}/global/routes`, 'items');
      expect(routes.map((route) => [route.name, route.network, route.nextHopGateway])).toEqual([
        ['default-route', NETWORK_URL, `${COMPUTE}projects/${PROJECT}/global/gateways/default-internet-gateway`],
        ['private-google-access', NETWORK_URL, `${COMPUTE}projects/${PROJECT}/global/gateways/default-internet-gateway`],
      ]);
      const { data: subnet } = await client.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/regions/us-central1/subnetworks/kf-subnet` });
      expect(subnet).toMatchObject({ kind: 'compute#subnetwork', region: `${COMPUTE}projects/${PROJECT}/regions/us-central1`, network: NETWORK_URL, privateIpGoogleAccess: true });
    });

    it('filters with field = "value", != and the eq/ne regular-expression forms', async () => {
      const url = `${base}/compute/v1/projects/${PROJECT}/global/firewalls`;
      const names = async (filter: string): Promise<string[]> => (await listAll(client, url, 'items', { filter })).items.map((firewall) => firewall.name);

      expect(await names(`network = "${NETWORK_URL}"`)).toEqual(['allow-health-checks', 'allow-iap-ssh', 'deny-all-egress', 'gke-kf-01234567-master']);
      expect(await names(`(network = "${NETWORK_URL}") AND (direction = "INGRESS") (logConfig.enable = false)`)).toEqual(['allow-iap-ssh', 'gke-kf-01234567-master']);
      expect(await names('name eq gke-.*-master')).toEqual(['gke-kf-01234567-master']);
      expect(await names('network eq .*/kf-net priority ne 1000')).toEqual(['deny-all-egress']);
      expect(await names('sourceRanges = "35.235.240.0/20"')).toEqual(['allow-iap-ssh']);
      expect(await names('direction != "INGRESS"')).toEqual(['deny-all-egress']);

      const error = await rejection(client.request({ url, params: { filter: 'priority > 1000' } }));
      expect(error.status).toBe(400);
      expect(error.response.data.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', errors: [{ reason: 'invalid' }] });
      expect(error.response.data.error.message).toContain("Invalid value for field 'filter': 'priority > 1000'");
    });

    it('lists routers of one region by their region URL, and all regions through the aggregated list', async () => {
      const { data: regional } = await client.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/regions/us-central1/routers` });
      expect(regional.kind).toBe('compute#routerList');
      expect(regional.items.map((router: any) => [router.name, router.region])).toEqual([
        ['kf-router', `${COMPUTE}projects/${PROJECT}/regions/us-central1`],
        ['kf-router-2', `${COMPUTE}projects/${PROJECT}/regions/us-central1`],
      ]);
      expect(regional.items[0].nats[0].name).toBe('kf-nat');

      const { data: empty } = await client.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/regions/us-east1/routers` });
      expect(empty).toEqual({ kind: 'compute#routerList', id: `projects/${PROJECT}/regions/us-east1/routers`, selfLink: `${COMPUTE}projects/${PROJECT}/regions/us-east1/routers` });

      const byRegion = new Map<string, string[]>();
      const warnings = new Set<string>();
      let pageToken: string | undefined;
      let pages = 0;
      do {
        pages += 1;
        const { data } = await client.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/aggregated/routers`, params: pageToken ? { pageToken } : {} });
        expect(data.kind).toBe('compute#routerAggregatedList');
        for (const [scope, scoped] of Object.entries<any>(data.items)) {
          if (scoped.routers) byRegion.set(scope, [...(byRegion.get(scope) ?? []), ...scoped.routers.map((router: any) => router.name)]);
          else warnings.add(`${scope}:${scoped.warning.code}`);
        }
        pageToken = data.nextPageToken;
      } while (pageToken);
      expect(pages).toBe(2);
      expect(Object.fromEntries(byRegion)).toEqual({ 'regions/europe-west1': ['eu-router'], 'regions/us-central1': ['kf-router', 'kf-router-2'] });
      expect(warnings).toContain('regions/asia-east1:NO_RESULTS_ON_PAGE');
    });

    it('answers unknown resources, projects and regions with the Google JSON error body', async () => {
      const missing = await rejection(client.request({ url: `${base}/compute/v1/projects/${PROJECT}/global/firewalls/nope` }));
      expect(missing.status).toBe(404);
      expect(missing.response.data).toEqual({
        error: {
          code: 404,
          message: `The resource 'projects/${PROJECT}/global/firewalls/nope' was not found`,
          errors: [{ message: `The resource 'projects/${PROJECT}/global/firewalls/nope' was not found`, domain: 'global', reason: 'notFound' }],
          status: 'NOT_FOUND',
        },
      });
      const project = await rejection(client.request({ url: `${base}/compute/v1/projects/other/global/firewalls` }));
      expect(project.response.data.error.message).toBe("The resource 'projects/other' was not found");
      const region = await rejection(client.request({ url: `${base}/compute/v1/projects/${PROJECT}/regions/mars-north1/routers` }));
      expect(region.response.data.error.message).toBe(`The resource 'projects/${PROJECT}/regions/mars-north1' was not found`);
      const router = await rejection(client.request({ url: `${base}/compute/v1/projects/${PROJECT}/regions/europe-west1/routers/kf-router` }));
      expect(router.status).toBe(404);
    });

    it('rejects parameters the API would reject: unknown names, maxResults over 500, foreign page tokens', async () => {
      const url = `${base}/compute/v1/projects/${PROJECT}/global/firewalls`;
      const unknown = await rejection(client.request({ url, params: { pageSize: 10 } }));
      expect(unknown.status).toBe(400);
      expect(unknown.response.data.error.message).toContain('Unknown name "pageSize"');
      expect((await rejection(client.request({ url, params: { maxResults: 501 } }))).status).toBe(400);

      const { data } = await client.request<any>({ url });
      const reused = await rejection(client.request({ url, params: { pageToken: data.nextPageToken, filter: 'name eq .*' } }));
      expect(reused.response.data.error.message).toContain("Invalid value for field 'pageToken'");
      expect((await client.request<any>({ url, params: { fields: 'items(name),nextPageToken', prettyPrint: false } })).status).toBe(200);
    });

    it('orders by creationTimestamp desc when asked', async () => {
      fake.setCompute(PROJECT, {
        firewalls: [
          { name: 'a-old', creationTimestamp: '2023-01-01T00:00:00.000-08:00' },
          { name: 'b-new', creationTimestamp: '2025-01-01T00:00:00.000-08:00' },
        ],
      });
      const { items } = await listAll(client, `${base}/compute/v1/projects/${PROJECT}/global/firewalls`, 'items', { orderBy: 'creationTimestamp desc' });
      expect(items.map((firewall) => firewall.name)).toEqual(['b-new', 'a-old']);
      expect(items[0].network).toBe(`${COMPUTE}projects/${PROJECT}/global/networks/default`);
    });

    it('answers getEffectiveFirewalls with the network\'s VPC rules and the policies in force, hierarchical first', async () => {
      const org = { name: '81828481824', shortName: 'kf-org', parent: 'organizations/1234', rules: [{ priority: 700, action: 'deny', direction: 'INGRESS', match: { srcIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] } }] };
      const network = { name: 'kf-policy', associations: [{ name: 'a', attachmentTarget: NETWORK_URL }], rules: [] };
      const regional = { name: 'kf-regional', region: `${COMPUTE}projects/${PROJECT}/regions/us-central1`, associations: [{ name: 'a', attachmentTarget: NETWORK_URL }], rules: [] };
      const elsewhere = { name: 'other-network', associations: [{ name: 'a', attachmentTarget: `${COMPUTE}projects/${PROJECT}/global/networks/default` }], rules: [] };
      fake.setCompute(PROJECT, { firewalls: FIREWALLS, networks: [{ name: 'kf-net' }, { name: 'default' }], firewallPolicies: [network, regional, elsewhere, org] });
      const global = (await client.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/global/networks/kf-net/getEffectiveFirewalls` })).data;
      expect(global.firewalls.map((rule: any) => rule.name)).toEqual(['gke-kf-01234567-master', 'deny-all-egress', 'allow-health-checks', 'allow-iap-ssh']);
      expect(global.firewallPolicys.map((policy: any) => [policy.name, policy.type])).toEqual([['81828481824', 'HIERARCHY'], ['kf-policy', 'NETWORK']]);
      const inRegion = (await client.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/regions/us-central1/firewallPolicies/getEffectiveFirewalls`, params: { network: NETWORK_URL } })).data;
      expect(inRegion.firewallPolicys.map((policy: any) => policy.type)).toEqual(['HIERARCHY', 'NETWORK', 'NETWORK_REGIONAL']);
      expect((await rejection(client.request({ url: `${base}/compute/v1/projects/${PROJECT}/global/networks/nope/getEffectiveFirewalls` }))).response.status).toBe(404);
    });

    it('refuses fixtures the API could never return', () => {
      expect(() => fake.setCompute(PROJECT, { routers: [{ name: 'no-region' }] })).toThrow(/region/);
      expect(() => fake.setCompute(PROJECT, { firewalls: [{ name: 'twice' }, { name: 'twice' }] })).toThrow(/duplicate/);
    });
  });

  describe('Cloud DNS', () => {
    it('lists managed zones over several pages', async () => {
      const { items, pages } = await listAll(client, `${base}/dns/v1/projects/${PROJECT}/managedZones`, 'managedZones');
      expect(pages).toBe(2);
      expect(items.map((zone) => [zone.name, zone.dnsName, zone.visibility])).toEqual([
        ['googleapis', 'googleapis.com.', 'private'],
        ['gcr-io', 'gcr.io.', 'private'],
        ['pkg-dev', 'pkg.dev.', 'private'],
      ]);
      expect(items[0]).toMatchObject({ kind: 'dns#managedZone', id: expect.stringMatching(/^\d+$/), nameServers: ['ns-gcp-private.googledomains.com.'], privateVisibilityConfig: { networks: [{ networkUrl: NETWORK_URL }] } });
      const { data: firstPage } = await client.request<any>({ url: `${base}/dns/v1/projects/${PROJECT}/managedZones` });
      expect(firstPage.kind).toBe('dns#managedZonesListResponse');
      const { data: byName } = await client.request<any>({ url: `${base}/dns/v1/projects/${PROJECT}/managedZones`, params: { dnsName: 'gcr.io.' } });
      expect(byName.managedZones.map((zone: any) => zone.name)).toEqual(['gcr-io']);
    });

    it('lists record sets under `rrsets`, with the apex NS and SOA every zone has, paged and filtered', async () => {
      const url = `${base}/dns/v1/projects/${PROJECT}/managedZones/googleapis/rrsets`;
      const { items, pages } = await listAll(client, url, 'rrsets');
      expect(pages).toBe(2);
      expect(items.map((set) => `${set.name} ${set.type}`)).toEqual(['*.googleapis.com. CNAME', 'googleapis.com. NS', 'googleapis.com. SOA', 'restricted.googleapis.com. A']);
      expect(items.find((set) => set.type === 'A')).toEqual({ kind: 'dns#resourceRecordSet', name: 'restricted.googleapis.com.', type: 'A', ttl: 300, rrdatas: ['199.36.153.4', '199.36.153.5', '199.36.153.6', '199.36.153.7'] });

      const { data } = await client.request<any>({ url, params: { name: 'restricted.googleapis.com.', type: 'A', maxResults: 100 } });
      expect(data.kind).toBe('dns#resourceRecordSetsListResponse');
      expect(data.rrsets).toHaveLength(1);
      const { data: none } = await client.request<any>({ url, params: { name: 'nothing.googleapis.com.' } });
      expect(none.rrsets).toBeUndefined();
    });

    it('reads a zone and a record set, and reports unknown zones as 404', async () => {
      const { data: zone } = await client.request<any>({ url: `${base}/dns/v1/projects/${PROJECT}/managedZones/gcr-io` });
      expect(zone).toMatchObject({ name: 'gcr-io', dnsName: 'gcr.io.' });
      const { data: byId } = await client.request<any>({ url: `${base}/dns/v1/projects/${PROJECT}/managedZones/${zone.id}` });
      expect(byId.name).toBe('gcr-io');
      const { data: record } = await client.request<any>({ url: `${base}/dns/v1/projects/${PROJECT}/managedZones/gcr-io/rrsets/gcr.io./A` });
      expect(record.rrdatas).toEqual(['199.36.153.4']);

      const missing = await rejection(client.request({ url: `${base}/dns/v1/projects/${PROJECT}/managedZones/nope/rrsets` }));
      expect(missing.status).toBe(404);
      expect(missing.response.data.error).toMatchObject({ code: 404, status: 'NOT_FOUND', message: "The 'parameters.managedZone' resource named 'nope' does not exist.", errors: [{ reason: 'notFound' }] });
    });

    it('refuses record sets outside their zone or for unknown zones', () => {
      expect(() => fake.setDns(PROJECT, { managedZones: [{ name: 'z', dnsName: 'example.com.' }], recordSets: { z: [{ name: 'other.org.', type: 'A' }] } })).toThrow(/outside zone/);
      expect(() => fake.setDns(PROJECT, { recordSets: { ghost: [] } })).toThrow(/unknown zone/);
    });
  });

  describe('failNext', () => {
    it('fails the next N matching requests with the status and a Google error body, then recovers', async () => {
      fake.failNext('/global/routes', 503, 2);
      const url = `${base}/compute/v1/projects/${PROJECT}/global/routes`;
      const first = await rejection(client.request({ url }));
      expect(first.status).toBe(503);
      expect(first.response.data.error).toMatchObject({ code: 503, status: 'UNAVAILABLE', errors: [{ reason: 'backendError' }] });
      expect((await client.request<any>({ url: `${base}/compute/v1/projects/${PROJECT}/global/firewalls` })).status).toBe(200);
      expect((await rejection(client.request({ url }))).status).toBe(503);
      expect((await client.request<any>({ url })).data.items).toHaveLength(2);
    });

    it('lets a retrying client get through', async () => {
      fake.failNext('managedZones/gcr-io', 429);
      const response = await client.request<any>({
        url: `${base}/dns/v1/projects/${PROJECT}/managedZones/gcr-io`,
        retryConfig: { retry: 2, retryDelay: 1, statusCodesToRetry: [[429, 429]] },
      });
      expect(response.data.name).toBe('gcr-io');
      expect(fake.requests.filter((request) => request.path.includes('gcr-io'))).toHaveLength(2);
    });

    it('serves only GET', async () => {
      const error = await rejection(client.request({ url: `${base}/compute/v1/projects/${PROJECT}/global/firewalls`, method: 'POST', data: { name: 'x' } }));
      expect(error.status).toBe(405);
    });
  });

  it('stop() closes kept-alive connections so the process can exit', async () => {
    const other = await FakeGoogleRest.start();
    other.setCompute('p', {});
    const { data } = await tokenClient().request<any>({ url: `${other.baseUrl}/compute/v1/projects/p/global/firewalls` });
    expect(data.items).toBeUndefined();
    const started = Date.now();
    await other.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    await other.stop();
  });
});
