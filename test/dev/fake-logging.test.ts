import { Logging } from '@google-cloud/logging';
import { grpc } from 'google-gax';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compareInstants, parseRfc3339 } from '../../functions/src/dev/fakes/grpc-protos.js';
import { FakeLogging, LogFilterError, compileLogFilter } from '../../functions/src/dev/fakes/logging.js';
import { fixtureJson } from '../helpers/fixtures.js';

// Without it the client's auth probes the GCE metadata server before the first call.
process.env['METADATA_SERVER_DETECTION'] = 'none';

// getEntries appends `AND timestamp >= "<24h ago>"` to filters without "timestamp", so most entries are recent.
const NOW = Date.now();
const minutesAgo = (minutes: number): string => new Date(NOW - minutes * 60_000).toISOString();
const DAYS = 24 * 60;
const FIREWALL_LOG = 'projects/p1/logs/compute.googleapis.com%2Ffirewall';

function firewallEntry(insertId: string, minutes: number, disposition: string, rule: string, direction = 'INGRESS'): Record<string, unknown> {
  return {
    insertId,
    logName: FIREWALL_LOG,
    jsonPayload: {
      connection: { src_ip: '172.16.0.34', src_port: 40312, dest_ip: '10.4.1.7', dest_port: 10250, protocol: 6 },
      disposition,
      rule_details: { reference: `network:kf-net/firewall:${rule}`, priority: 900, action: disposition === 'DENIED' ? 'DENY' : 'ALLOW', direction, ip_port_info: [{ ip_protocol: 'ALL' }], source_range: ['0.0.0.0/0'] },
      instance: { project_id: 'p1', vm_name: 'gke-kf-default-pool-abc', zone: 'us-central1-c' },
    },
    resource: { type: 'gce_subnetwork', labels: { project_id: 'p1', subnetwork_name: 'kf-subnet', location: 'us-central1-c' } },
    timestamp: minutesAgo(minutes),
    receiveTimestamp: minutesAgo(minutes - 0.1),
  };
}

const ENTRIES: Record<string, unknown>[] = [
  firewallEntry('fw-old-denied', 3 * DAYS, 'DENIED', 'kf-deny-all-ingress'),
  firewallEntry('fw-old-allowed', 3 * DAYS, 'ALLOWED', 'kf-allow-internal'),
  firewallEntry('fw-denied-1', 50, 'DENIED', 'kf-deny-all-ingress'),
  firewallEntry('fw-denied-2', 40, 'DENIED', 'kf-deny-egress', 'EGRESS'),
  firewallEntry('fw-allowed', 30, 'ALLOWED', 'kf-allow-internal'),
  {
    insertId: 'app-stdout',
    logName: 'projects/p1/logs/stdout',
    textPayload: 'Webhook cert-manager: context deadline exceeded',
    severity: 'ERROR',
    labels: { 'k8s-pod/app': 'istiod' },
    resource: { type: 'k8s_container', labels: { project_id: 'p1', namespace_name: 'kubeflow', container_name: 'discovery' } },
    timestamp: minutesAgo(20),
  },
  {
    insertId: 'lb-request',
    logName: 'projects/p1/logs/requests',
    jsonPayload: { message: 'upstream timeout' },
    httpRequest: { requestMethod: 'GET', requestUrl: 'https://kf.example.com/', status: 504, latency: '0.250s' },
    operation: { id: 'op-1', producer: 'kfguard.test', first: true },
    resource: { type: 'http_load_balancer', labels: { project_id: 'p1' } },
    severity: 'WARNING',
    timestamp: minutesAgo(15),
  },
  {
    insertId: 'audit-webhook',
    logName: 'projects/p1/logs/cloudaudit.googleapis.com%2Factivity',
    protoPayload: { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', methodName: 'io.k8s.core.v1.pods.create', status: { code: 13, message: 'failed calling webhook' } },
    resource: { type: 'k8s_cluster', labels: { project_id: 'p1', cluster_name: 'kf' } },
    severity: 'ERROR',
    timestamp: minutesAgo(10),
  },
  {
    insertId: 'other-project',
    logName: 'projects/p2/logs/stdout',
    textPayload: 'cert-manager deadline exceeded in another project',
    resource: { type: 'k8s_container', labels: { project_id: 'p2' } },
    timestamp: minutesAgo(5),
  },
];

const ids = (entries: any[]): string[] => entries.map((entry) => entry.metadata.insertId);

describe('FakeLogging with the real Logging client', () => {
  let fake: FakeLogging;
  let logging: Logging;
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);

  const query = async (filter: string, options: Record<string, unknown> = {}): Promise<string[]> => ids((await logging.getEntries({ filter, ...options }))[0]);
  const lastRequest = (): any => fake.calls.at(-1)?.request;
  const failure = async (filter: string): Promise<any> => {
    try {
      await logging.getEntries({ filter });
    } catch (error) {
      return error;
    }
    throw new Error(`expected ${filter} to be rejected`);
  };

  beforeAll(async () => {
    process.on('warning', onWarning);
    fake = await FakeLogging.start();
    // Not a literal: LoggingOptions' type lacks `port`, which Logging still forwards to its gapic clients.
    const options = { projectId: 'p1', apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure() };
    logging = new Logging(options);
  });

  afterAll(async () => {
    process.off('warning', onWarning);
    await (logging.loggingService as any).close();
    await (logging.configService as any).close();
    await fake.stop();
  });

  beforeEach(() => {
    fake.setEntries(ENTRIES);
    fake.calls.length = 0;
  });

  it('DENIED firewall entries since a timestamp, with the filter sent as written', async () => {
    const since = `logName:"compute.googleapis.com%2Ffirewall" AND jsonPayload.disposition="DENIED" AND timestamp >= "${minutesAgo(45)}"`;
    expect(await query(since, { orderBy: 'timestamp asc' })).toEqual(['fw-denied-2']);
    expect(lastRequest()).toEqual({ resourceNames: ['projects/p1'], filter: since, orderBy: 'timestamp asc' });

    const lastWeek = `logName:"compute.googleapis.com%2Ffirewall" jsonPayload.disposition="DENIED" timestamp>="${minutesAgo(7 * DAYS)}" timestamp<"${minutesAgo(45)}"`;
    expect(await query(lastWeek, { orderBy: 'timestamp asc' })).toEqual(['fw-old-denied', 'fw-denied-1']);
  });

  it('OR binds tighter than AND, so the client\'s appended 24h clause restricts the whole filter', async () => {
    expect(await query('jsonPayload.disposition="ALLOWED" OR severity="ERROR"')).toEqual(['app-stdout', 'fw-allowed']);
    expect(lastRequest().filter).toMatch(/^jsonPayload\.disposition="ALLOWED" OR severity="ERROR" AND timestamp >= "/);
  });

  it('NOT, implicit AND, substrings, parentheses and repeated fields', async () => {
    expect(await query('logName:"firewall" NOT jsonPayload.disposition="DENIED"')).toEqual(['fw-allowed']);
    expect(await query('jsonPayload.rule_details.reference:"DENY-EGRESS"')).toEqual(['fw-denied-2']);
    expect(await query('(resource.type="gce_subnetwork" AND jsonPayload.rule_details.direction="EGRESS") OR resource.type="k8s_container"')).toEqual([
      'app-stdout',
      'fw-denied-2',
    ]);
    expect(await query('resource.type="gce_subnetwork" AND (jsonPayload.disposition="ALLOWED" OR resource.type="k8s_container")')).toEqual(['fw-allowed']);
    expect(await query('jsonPayload.rule_details.ip_port_info.ip_protocol="all" AND NOT (jsonPayload.rule_details.direction="INGRESS")')).toEqual([
      'fw-denied-2',
    ]);
  });

  it('bare text searches every string field of the entry', async () => {
    expect(await query('"deadline exceeded"')).toEqual(['app-stdout']);
    expect(await query('"kf-allow-internal"')).toEqual(['fw-allowed']);
    expect(await query('"cert-manager" OR "upstream timeout"')).toEqual(['lb-request', 'app-stdout']);
  });

  it('orders by timestamp ascending or descending (the client defaults to descending)', async () => {
    expect(await query('logName:"firewall"')).toEqual(['fw-allowed', 'fw-denied-2', 'fw-denied-1']);
    expect(await query('logName:"firewall"', { orderBy: 'timestamp asc' })).toEqual(['fw-denied-1', 'fw-denied-2', 'fw-allowed']);
  });

  it('pages: autoPaginate follows three pages, explicit paging returns them one by one', async () => {
    const everything = await query('logName:"projects/p1/logs/"', { orderBy: 'timestamp asc', pageSize: 2, autoPaginate: true });
    expect(everything).toEqual(['fw-denied-1', 'fw-denied-2', 'fw-allowed', 'app-stdout', 'lb-request']);
    expect(fake.calls.map((call: any) => [call.request.pageSize, Boolean(call.request.pageToken)])).toEqual([
      [2, false],
      [2, true],
      [2, true],
    ]);

    const pages: string[][] = [];
    let request: any = { filter: 'logName:"projects/p1/logs/"', orderBy: 'timestamp asc', pageSize: 2, autoPaginate: false };
    while (request) {
      const [entries, nextQuery] = await logging.getEntries(request);
      pages.push(ids(entries));
      request = nextQuery && { ...nextQuery, autoPaginate: false };
    }
    expect(pages).toEqual([['fw-denied-1', 'fw-denied-2'], ['fw-allowed', 'app-stdout'], ['lb-request']]);
  });

  it('returns entries the way the client library presents real ones', async () => {
    const [entries] = await logging.getEntries({ filter: 'insertId="fw-denied-1" OR insertId="app-stdout" OR insertId="lb-request"', orderBy: 'timestamp asc' });
    const [firewall, text, request] = entries as any[];
    const source = ENTRIES[2] as any;
    expect(firewall.data).toEqual(source.jsonPayload);
    expect(firewall.metadata).toMatchObject({ insertId: 'fw-denied-1', logName: FIREWALL_LOG, resource: source.resource, severity: 'DEFAULT', payload: 'jsonPayload' });
    expect(firewall.metadata.timestamp).toEqual(new Date(source.timestamp));
    const received = Date.parse(source.receiveTimestamp);
    expect(firewall.metadata.receiveTimestamp).toEqual({ seconds: String(Math.floor(received / 1000)), nanos: (received % 1000) * 1e6 });
    expect(text.data).toBe('Webhook cert-manager: context deadline exceeded');
    expect(text.metadata).toMatchObject({ severity: 'ERROR', labels: { 'k8s-pod/app': 'istiod' }, resource: { type: 'k8s_container' } });
    expect(request.data).toEqual({ message: 'upstream timeout' });
    expect(request.metadata.operation).toEqual({ id: 'op-1', producer: 'kfguard.test', first: true, last: false });
    expect(request.metadata.httpRequest).toMatchObject({ requestMethod: 'GET', status: 504, latency: { seconds: '0', nanos: 250_000_000 } });
  });

  it('serves an exported fixture unchanged', async () => {
    const exported = fixtureJson<Record<string, any>[]>('logs/denied-by-rule.json');
    fake.setEntries(exported);
    const [entries] = await logging.getEntries({ resourceNames: [exported[0]!['logName'].split('/logs/')[0]], filter: 'timestamp >= "2000-01-01T00:00:00Z"', orderBy: 'timestamp asc' });
    const instant = (entry: Record<string, any>) => parseRfc3339(entry['timestamp'])!;
    const byTime = [...exported].sort((a, b) => compareInstants(instant(a), instant(b)) || a['insertId'].localeCompare(b['insertId']));
    expect(ids(entries)).toEqual(byTime.map((entry) => entry['insertId']));
    expect(entries.map((entry) => entry.data)).toEqual(byTime.map((entry) => entry['jsonPayload']));
  });

  it('fails the next calls with injected statuses, one each, then answers again', async () => {
    fake.failNext(grpc.status.RESOURCE_EXHAUSTED, grpc.status.PERMISSION_DENIED);
    expect(await failure('"cert-manager"')).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    expect(await failure('"cert-manager"')).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect(await query('"cert-manager"', { resourceNames: ['projects/p2'] })).toEqual(['other-project']);
  });

  it('answers only for the requested resourceNames', async () => {
    expect(await query('"cert-manager"', { resourceNames: ['projects/p2'] })).toEqual(['other-project']);
    expect(await query('"cert-manager"', { resourceNames: ['projects/p1', 'projects/p2'] })).toEqual(['other-project', 'app-stdout']);
  });

  it('leaves out audit entries, whose AuditLog proto does not ship, and says so once', async () => {
    expect(await query('protoPayload.methodName:"pods.create"')).toEqual([]);
    expect(await query('logName:"cloudaudit.googleapis.com"')).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    const about = warnings.filter((warning: any) => warning.code === 'KFGUARD_FAKE_LOGGING_PROTO_PAYLOAD');
    expect(about).toHaveLength(1);
    expect(about[0]!.message).toContain('type.googleapis.com/google.cloud.audit.AuditLog');
  });

  it.each([
    ['severity!="ERROR"', 'operator "!="'],
    ['jsonPayload.message=~"time.*out"', 'operator "=~"'],
    ['severity>="ERROR"', '">=" on severity'],
    ['resource.type=("k8s_container" OR "gce_subnetwork")', 'parenthesized list of values'],
    ['log_id("stdout")', 'function log_id()'],
    ['-severity="ERROR"', '"-" negation prefix'],
    ['jsonPayload.message:*', 'wildcard'],
    ['(severity="ERROR"', 'missing ")"'],
    ['labels."k8s-pod/app"="istiod"', 'quoted field path segment'],
    ['timestamp >= "yesterday"', 'not an RFC 3339 timestamp'],
  ])('rejects %s with INVALID_ARGUMENT naming the problem', async (filter, named) => {
    const error = await failure(filter);
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain(named);
  });
});

describe('compileLogFilter', () => {
  const entry = { logName: 'projects/p/logs/x', textPayload: 'alpha beta', labels: { a: 'b', and: 'yes' } };

  it('follows the real precedence: a OR NOT b AND NOT c OR d is (a OR (NOT b)) AND ((NOT c) OR d)', () => {
    const matches = compileLogFilter('f.a="y" OR NOT f.b="y" AND NOT f.c="y" OR f.d="y"');
    for (let bits = 0; bits < 16; bits++) {
      const [a, b, c, d] = [1, 2, 4, 8].map((bit) => (bits & bit) !== 0) as [boolean, boolean, boolean, boolean];
      const yes = (flag: boolean): string => (flag ? 'y' : 'n');
      expect(matches({ f: { a: yes(a), b: yes(b), c: yes(c), d: yes(d) } }), `a=${a} b=${b} c=${c} d=${d}`).toBe((a || !b) && (!c || d));
    }
  });

  it('treats lower-case and/or/not as search terms and an empty filter as everything', () => {
    expect(compileLogFilter('alpha and beta')(entry)).toBe(false);
    expect(compileLogFilter('alpha AND beta')(entry)).toBe(true);
    expect(compileLogFilter('labels.and = "YES"')(entry)).toBe(true);
    expect(compileLogFilter('   ')(entry)).toBe(true);
  });

  it('throws LogFilterError for filters outside the subset', () => {
    expect(() => compileLogFilter('AND alpha')).toThrow(LogFilterError);
    expect(() => compileLogFilter('alpha OR')).toThrow(/unexpected end of filter/);
    expect(() => compileLogFilter('"alpha')).toThrow(/unterminated string/);
    expect(() => compileLogFilter('"x" = "y"')).toThrow(/field name on its left/);
  });
});
