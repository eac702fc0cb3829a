import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { dropDocument, editedFixture, type Edit } from '../helpers/edit-fixture.js';

const BLUEPRINT = fixturePath('check/blueprint');
const WEBHOOKS = 'functions/samples/kubeflow-webhooks.yaml';
/** Kubeflow's IAP Ingress in front of the Istio gateway's node port: what the load balancer health-checks. */
const IAP_INGRESS = fixturePath('check/lb/iap-ingress.yaml');

async function check(args: string[]): Promise<{ code: number; report: any; stderr: string }> {
  const result = await runCli(['check', '--format', 'json', ...args]);
  return { code: result.code, report: result.stdout ? JSON.parse(result.stdout) : undefined, stderr: result.stderr };
}

async function checkEdited(edits: Edit[], extra: string[] = []): Promise<any[]> {
  const { report } = await check(['--manifests', editedFixture('check/blueprint', edits), ...extra]);
  return report.findings;
}

const rules = (findings: any[]): string[] => findings.map((f) => f.rule).sort();

describe('kfguard check on blueprint-shaped manifests', () => {
  it('a complete private network has no findings, and kpt files are skipped', async () => {
    const { code, report } = await check(['--manifests', BLUEPRINT]);
    expect(report.findings).toEqual([]);
    expect(report.rejected).toEqual([]);
    expect(code).toBe(0);
    expect(report.clusters[0]).toMatchObject({ name: 'kf-test', network: 'kf-test', masterCidr: '172.16.0.32/28', nodeCidrs: ['10.10.10.0/24'], podCidrs: ['10.1.0.0/16'], serviceCidrs: ['10.10.11.0/24'] });
    expect(report.stats).toMatchObject({ firewallRules: 9, routes: 2, clusters: 1 });
  });

  it('resolves every webhook port through Service and workload and finds them all reachable', async () => {
    const { report } = await check(['--manifests', BLUEPRINT, WEBHOOKS]);
    // Only the Artifact Registry image needs something the blueprint lacks.
    expect(report.findings.map((f: any) => [f.rule, f.resources])).toEqual([['private-dns-missing', ['domain:pkg.dev']]]);
  });

  describe('webhook-port-not-allowed', () => {
    it('one finding per blocked port, naming the webhooks behind it', async () => {
      const findings = await checkEdited([['firewall.yaml', dropDocument('ComputeFirewall', 'kf-test-knative-katib')]], [WEBHOOKS]);
      const webhooks = findings.filter((f) => f.rule === 'webhook-port-not-allowed');
      expect(webhooks.map((f) => f.flow.ports)).toEqual([[8443], [4443]]);
      const knative = webhooks[0];
      expect(knative.resources).toEqual(['webhook:validation.webhook.serving.knative.dev', 'webhook:validator.experiment.katib.kubeflow.org']);
      expect(knative.firewallRule).toBe('kf-test-deny-ingress');
      expect(knative.flow).toMatchObject({ direction: 'INGRESS', protocol: 'tcp', source: '172.16.0.32/28', destination: '10.1.0.0/16' });
      expect(knative.remediation.gcloud).toContain('--allow=tcp:8443');
      expect(knative.remediation.gcloud).toContain('--source-ranges=172.16.0.32/28');
      // Webhooks are called at the pod IP: the fix opens the pods, not the nodes' own addresses.
      expect(knative.remediation.gcloud).toContain('--destination-ranges=10.1.0.0/16');
      // Below the deny at 65534, on the first priority no blueprint rule holds (they sit at 1000).
      expect(knative.remediation.gcloud).toContain('--priority=999');
      expect(knative.remediation).toMatchObject({ layer: 'vpc-firewall', verified: true });
      expect(knative.remediation.summary).toContain('kfguard applied it to the whole firewall stack: the blocked traffic passes and nothing else opens.');
      expect(webhooks[1].explanation).toContain('targetPort https-webhook → containerPort 4443');
    });

    it('resolves a named targetPort to the container that names it, not to another container port', async () => {
      const findings = await checkEdited([['firewall.yaml', '"15017", "9443"', '"15017"']], [WEBHOOKS]);
      const kserve = findings.find((f) => f.rule === 'webhook-port-not-allowed');
      expect(kserve.flow.ports).toEqual([9443]);
      expect(kserve.resources).toEqual(['webhook:inferenceservice.kserve-webhook-server.defaulter', 'webhook:inferenceservice.kserve-webhook-server.pod-mutator']);
    });

    it("tells a Kubernetes Service from a serviceusage.cnrm Service", async () => {
      const { report } = await check(['--manifests', BLUEPRINT, WEBHOOKS]);
      expect(report.rejected).toEqual([]);
      expect(report.stats.webhooks).toBe(7);
    });
  });

  describe('required-flow-blocked', () => {
    it('node-to-master when master-egress names another /28, with the blocking rule', async () => {
      const findings = await checkEdited([['firewall.yaml', '  - 172.16.0.32/28\n  direction: EGRESS', '  - 172.16.0.16/28\n  direction: EGRESS']]);
      // Nodes and pods are blocked by the same rule: one finding, one fix for both.
      expect(rules(findings)).toEqual(['master-cidr-mismatch', 'required-flow-blocked']);
      const flow = findings.find((f) => f.rule === 'required-flow-blocked');
      expect(flow).toMatchObject({ firewallRule: 'kf-test-deny-egress', firewallLayer: 'vpc-firewall', flow: { name: 'node-to-master', direction: 'EGRESS', source: '10.1.0.0/16,10.10.10.0/24', destination: '172.16.0.32/28', ports: [443] } });
      // Below the deny at 1100, on the first priority no rule holds (the blueprint's sit at 1000).
      expect(flow.remediation.gcloud).toContain('--priority=999');
      const mismatch = findings.find((f) => f.rule === 'master-cidr-mismatch');
      expect(mismatch.firewallRule).toBe('kf-test-master-egress');
      // The rule applies to every instance: the cluster's range is added, the other kept for whoever may use it.
      expect(mismatch.remediation.gcloud).toBe('gcloud compute firewall-rules update kf-test-master-egress --project=kf-test-project --destination-ranges=172.16.0.16/28,172.16.0.32/28');
    });

    it('health checks are judged on the port the Ingress load balancer checks, and found denied by a hardening rule above GKE\'s', async () => {
      const findings = await checkEdited([['firewall.yaml', 'priority: 65534', 'priority: 900']], [IAP_INGRESS]);
      const names = findings.filter((f) => f.rule === 'required-flow-blocked').map((f) => f.flow.name);
      expect(names).toEqual(expect.arrayContaining(['master-to-node', 'health-check-to-node', 'intra-cluster']));
      const health = findings.find((f) => f.flow?.name === 'health-check-to-node');
      // The Ingress checks the gateway's node port, on the nodes: not 80 or 443.
      expect(health).toMatchObject({ firewallRule: 'kf-test-deny-ingress', flow: { source: '35.191.0.0/16,130.211.0.0/22', destination: '10.10.10.0/24', ports: [31380] } });
      expect(health.remediation.gcloud).toContain('--priority=899');
      // Both prober ranges in one rule, proved against the probes of both.
      expect(health.remediation.gcloud).toContain('--source-ranges=35.191.0.0/16,130.211.0.0/22 ');
      expect(health.remediation.gcloud).toContain('--allow=tcp:31380 ');
      // A manifest's cluster has no id yet: its GKE node tag is unknown, so the rule targets the network's VMs, as the blueprint's do.
      expect(health.remediation.gcloud).not.toContain('--target-tags');
      expect(health.remediation.summary).toBe("Allow health-check-to-node (tcp:31380). It targets every VM in network kf-test, as the blueprint's own rules do: the nodes' tag (gke-NAME-HASH-node) is known only once GKE creates the cluster. kfguard applied it to the whole firewall stack: the blocked traffic passes and nothing else opens. Firewall policies were not among the inputs: a hierarchical or network firewall policy may still decide this traffic.");
      expect(parseYaml(health.remediation.manifest)).toMatchObject({ spec: { allow: [{ protocol: 'tcp', ports: ['31380'] }], sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'] } });
    });

    it('without a load balancer among the inputs, no health check is invented and the notes say so', async () => {
      const { report } = await check(['--manifests', editedFixture('check/blueprint', [['firewall.yaml', 'priority: 65534', 'priority: 900']])]);
      expect(report.findings.filter((f: any) => f.flow?.name === 'health-check-to-node')).toEqual([]);
      expect(report.notes).toContain('No load balancer health checks are known for kf-test (no GKE load balancer rules for its nodes among the inputs, no LoadBalancer Services or Ingresses among the manifests): health-check flows were not judged.');
    });

    it('multi-port fixes are verified against every port they open', async () => {
      const findings = await checkEdited([['firewall.yaml', 'priority: 65534', 'priority: 900']]);
      const master = findings.find((f) => f.flow?.name === 'master-to-node');
      expect(master.flow).toMatchObject({ source: '172.16.0.32/28', destination: '10.1.0.0/16,10.10.10.0/24', ports: [443, 10250] });
      expect(master.remediation.gcloud).toContain('--allow=tcp:443,tcp:10250 ');
      expect(master.remediation.summary).toContain('Allow master-to-node (tcp:443,tcp:10250).');
      expect(master.remediation.summary).toContain('kfguard applied it to the whole firewall stack: the blocked traffic passes and nothing else opens.');
    });

    it('a deny-all network: one finding per flow, direction and blocking rule, each with its own rule name', async () => {
      const denyOnly = (text: string) => text.split(/^---$/m).filter((doc) => /^ {2}deny:$/m.test(doc)).join('---');
      const findings = (await checkEdited([['firewall.yaml', denyOnly], ['firewall.yaml', 'priority: 65534', 'priority: 900']], [IAP_INGRESS])).filter((f) => f.rule === 'required-flow-blocked');
      expect(findings.map((f) => [f.flow.name, f.flow.direction, f.flow.protocol, f.firewallRule]).sort()).toEqual([
        ['health-check-to-node', 'INGRESS', 'tcp', 'kf-test-deny-ingress'],
        ['intra-cluster', 'EGRESS', 'tcp', 'kf-test-deny-egress'],
        ['intra-cluster', 'INGRESS', 'tcp', 'kf-test-deny-ingress'],
        ['intra-cluster', 'INGRESS', 'udp', 'kf-test-deny-ingress'],
        ['master-to-node', 'INGRESS', 'tcp', 'kf-test-deny-ingress'],
        ['node-to-google-apis', 'EGRESS', 'tcp', 'kf-test-deny-egress'],
        ['node-to-master', 'EGRESS', 'tcp', 'kf-test-deny-egress'],
      ]);
      const ingress = findings.find((f) => f.flow.name === 'intra-cluster' && f.flow.direction === 'INGRESS' && f.flow.protocol === 'tcp');
      expect(ingress.flow).toMatchObject({ source: '10.1.0.0/16,10.10.10.0/24', destination: '10.1.0.0/16,10.10.10.0/24', ports: ['1-65535'] });
      expect(ingress.remediation.gcloud).toContain('--allow=tcp:1-65535 --source-ranges=10.1.0.0/16,10.10.10.0/24 ');
      expect(ingress.remediation.verified).toBe(true);
      const egress = findings.find((f) => f.flow.name === 'intra-cluster' && f.flow.direction === 'EGRESS');
      // deny-egress covers tcp 0-65535 only: udp between members is not blocked, so only tcp is opened.
      expect(egress.remediation.gcloud).toContain('--allow=tcp:1-65535 --destination-ranges=10.1.0.0/16,10.10.10.0/24 ');
      const names = findings.map((f) => f.remediation.gcloud.split(' ')[4]);
      expect(new Set(names).size).toBe(findings.length);
    });

    it('ends whose range is unknown are not probed, and the notes say so', async () => {
      const { report } = await check(['--manifests', `${BLUEPRINT}/firewall.yaml`, '--master-cidr', '172.16.0.32/28']);
      expect(JSON.stringify(report.findings)).not.toContain('192.0.2.1');
      expect(report.findings.filter((f: any) => f.rule === 'required-flow-blocked')).toEqual([]);
      expect(report.notes).toEqual(expect.arrayContaining([expect.stringContaining('The node range of the cluster is unknown'), expect.stringContaining('The pod range of the cluster is unknown')]));
      // A cluster made of range flags says nothing about its endpoint or authorized networks.
      expect(report.findings.map((f: any) => f.rule)).not.toContain('authorized-networks-disabled');
      const withNodes = await check(['--manifests', `${BLUEPRINT}/firewall.yaml`, '--master-cidr', '172.16.0.32/28', '--node-cidr', '10.10.10.0/24']);
      expect(withNodes.report.findings.filter((f: any) => f.rule === 'required-flow-blocked').map((f: any) => f.flow.destination)).not.toContain('10.1.0.0/16');
    });

    it('node-to-google-apis without the apis-egress allow', async () => {
      const findings = await checkEdited([['firewall.yaml', dropDocument('ComputeFirewall', 'kf-test-apis-egress')]]);
      expect(findings.map((f) => [f.rule, f.flow?.name, f.firewallRule])).toEqual([['required-flow-blocked', 'node-to-google-apis', 'kf-test-deny-egress']]);
    });
  });

  it('deny-logging-disabled and no-logged-catch-all-deny', async () => {
    const findings = await checkEdited([
      ['firewall.yaml', 'enableLogging: true # {"$kpt-set":"log-firewalls"}', 'enableLogging: false # {"$kpt-set":"log-firewalls"}'],
      ['firewall.yaml', dropDocument('ComputeFirewall', 'kf-test-deny-ingress')],
    ]);
    // Egress that nothing decides is allowed by the implied rule: only ingress falls through untraced.
    expect(findings.map((f) => [f.rule, f.firewallRule])).toEqual([
      ['deny-logging-disabled', 'kf-test-deny-egress'],
      ['no-logged-catch-all-deny', 'implied-deny-ingress'],
    ]);
    expect(findings[0].remediation.gcloud).toBe('gcloud compute firewall-rules update kf-test-deny-egress --project=kf-test-project --enable-logging');
    expect(findings[1].remediation).toMatchObject({
      gcloud: 'gcloud compute firewall-rules create kf-test-deny-all-ingress-logged --project=kf-test-project --network=kf-test --direction=INGRESS --priority=65534 --action=DENY --rules=all --source-ranges=0.0.0.0/0 --enable-logging',
      verified: true,
    });
  });

  describe('routes', () => {
    it('route-priority-inverted when the default route does not lose', async () => {
      const findings = await checkEdited([['network.yaml', 'priority: 1100', 'priority: 1000']]);
      expect(findings.map((f) => [f.rule, f.resources[0]])).toEqual([['route-priority-inverted', 'route:kf-test-internet']]);
    });

    it('a kept default route counts, at GCP default priority 1000', async () => {
      const findings = await checkEdited([
        ['network.yaml', 'deleteDefaultRoutesOnCreate: true', 'deleteDefaultRoutesOnCreate: false'],
        ['network.yaml', dropDocument('ComputeRoute', 'kf-test-internet')],
      ]);
      expect(rules(findings)).toEqual(['route-priority-inverted']);
    });

    it('private-apis-route-missing, and internet-route-missing for NAT without a default route', async () => {
      const findings = await checkEdited([
        ['network.yaml', dropDocument('ComputeRoute', 'kf-test-google-apis')],
        ['network.yaml', dropDocument('ComputeRoute', 'kf-test-internet')],
      ]);
      expect(rules(findings)).toEqual(['internet-route-missing', 'private-apis-route-missing']);
      const missing = findings.find((f) => f.rule === 'private-apis-route-missing');
      expect(parseYaml(missing.remediation.manifest)).toMatchObject({ kind: 'ComputeRoute', spec: { destRange: '199.36.153.4/30', nextHopGateway: 'default-internet-gateway' } });
    });
  });

  it('private-dns-missing per domain, also when the record does not point at the VIP', async () => {
    const findings = await checkEdited([
      ['dns.yaml', dropDocument('DNSManagedZone', 'kf-test-gcr')],
      ['dns.yaml', '  name: "restricted.googleapis.com."\n  type: A\n  ttl: 300\n  managedZoneRef:\n    name: kf-test-goog-apis\n  rrdatas: [199.36.153.4, 199.36.153.5, 199.36.153.6, 199.36.153.7]', '  name: "restricted.googleapis.com."\n  type: A\n  ttl: 300\n  managedZoneRef:\n    name: kf-test-goog-apis\n  rrdatas: [142.250.72.10]'],
    ]);
    const dns = findings.filter((f) => f.rule === 'private-dns-missing');
    expect(dns.map((f) => f.resources[0])).toEqual(['domain:googleapis.com', 'domain:gcr.io']);
    // The gcr.io records now point at a zone that is gone.
    expect(rules(findings.filter((f) => f.rule !== 'private-dns-missing'))).toEqual(['dangling-reference', 'dangling-reference']);
    const [apis, gcr] = dns;
    expect(apis.explanation).toContain('storage.googleapis.com. resolves to 142.250.72.10');
    expect(parseAllDocuments(gcr.remediation.manifest).map((d) => d.toJS().kind)).toEqual(['DNSManagedZone', 'DNSRecordSet', 'DNSRecordSet']);
  });

  it('cloud-nat-missing', async () => {
    const findings = await checkEdited([['nat.yaml', dropDocument('ComputeRouterNAT', 'kf-test')]]);
    expect(findings.map((f) => [f.rule, f.resources])).toEqual([['cloud-nat-missing', ['network:kf-test', 'region:us-central1']]]);
  });

  it('cluster-not-private and authorized-networks-disabled', async () => {
    const findings = await checkEdited([
      ['cluster.yaml', 'enablePrivateNodes: true', 'enablePrivateNodes: false'],
      ['cluster.yaml', / {2}masterAuthorizedNetworksConfig:\n {4}cidrBlocks:\n {4}- displayName: corp\n {6}cidrBlock: 203.0.113.0\/24\n/, ''],
    ]);
    // A public cluster's control plane does not come through the VPC firewall: no flow findings.
    expect(rules(findings)).toEqual(['authorized-networks-disabled', 'cluster-not-private']);
  });

  it('unset-setter and dangling-reference on an unconfigured package', async () => {
    const findings = await checkEdited([
      ['network.yaml', 'region: us-central1 # {"$kpt-set":"gcloud.compute.region"}', 'region: REGION # {"$kpt-set":"gcloud.compute.region"}'],
      ['nat.yaml', 'routerRef:\n    name: kf-test', 'routerRef:\n    name: name'],
    ]);
    const byRule: Record<string, any[]> = {};
    for (const finding of findings) (byRule[finding.rule] ??= []).push(finding);
    expect(byRule['unset-setter']?.map((f: any) => [f.resources, f.severity])).toEqual([
      [['ComputeRouterNAT/kf-test:spec.routerRef.name'], 'warning'],
      [['ComputeSubnetwork/kf-test:spec.region'], 'warning'],
    ]);
    expect(byRule['dangling-reference']?.[0].explanation).toMatch(/ComputeRouterNAT\/kf-test .* has routerRef.name "name", but no ComputeRouter of that name is defined/);
    expect(byRule['cloud-nat-missing']).toHaveLength(1);
  });
});

describe('check inputs', () => {
  it('rejects bad documents with their line and keeps the rest', async () => {
    const dir = editedFixture('check/blueprint', [
      ['firewall.yaml', '"15017", "9443"', '"15017", "99999"'],
      ['dns.yaml', 'rrdatas: ["gcr.io."]', 'rrdatas: ["gcr.io."]\n  bad: [unclosed'],
    ]);
    const { report } = await check(['--manifests', dir]);
    expect(report.rejected).toEqual([
      { source: `${dir}/dns.yaml:14`, reason: expect.stringMatching(/^invalid YAML/) },
      { source: `${dir}/firewall.yaml:93`, reason: 'ComputeFirewall/kf-test-istio: allow[0].ports[1]: "99999" is not a valid port range (0-65535, low-high)' },
    ]);
    expect(report.stats.firewallRules).toBe(8);
  });

  it('survives a YAML alias bomb', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const dir = editedFixture('check/blueprint', [['nat.yaml', (text) => `${text}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n${bomb.replace(/^/gm, '  ')}\n`]]);
    const { report, code } = await check(['--manifests', dir]);
    expect(report.rejected).toEqual([{ source: expect.stringMatching(/nat\.yaml:\d+$/), reason: expect.stringMatching(/^unreadable YAML: .*alias/i) }]);
    // The rest is judged, but a gate does not pass on input it could not read.
    expect(code).toBe(2);
    expect((await check(['--manifests', dir, '--allow-rejected'])).code).toBe(0);
  });

  it('needs some input, and a missing path is a usage error', async () => {
    expect((await runCli(['check'])).code).toBe(2);
    const missing = await runCli(['check', '--manifests', '/nonexistent/dir']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read /nonexistent/dir');
  });

  it.each(['table', 'json', 'markdown'])('a missing file among readable ones prints only the error, in --format %s too', async (format) => {
    for (const args of [['--manifests', `${BLUEPRINT}/firewall.yaml`, '/nonexistent.yaml'], ['--gcloud', '/nonexistent.json'], ['--cluster', '/nonexistent.json']]) {
      const result = await runCli(['check', '--format', format, ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^kfguard: cannot read \/nonexistent\.(yaml|json): no such file( or directory)?\n$/);
    }
  });

  it('judges webhook ports from range flags alone, without a cluster manifest', async () => {
    const rules = editedFixture('check/blueprint', [
      ['firewall.yaml', dropDocument('ComputeFirewall', 'kf-test-istio')],
      ['firewall.yaml', dropDocument('ComputeFirewall', 'kf-test-knative-katib')],
    ]);
    const { report, code } = await check(['--manifests', WEBHOOKS, `${rules}/firewall.yaml`, '--master-cidr', '172.16.0.32/28', '--pod-cidr', '10.1.0.0/16']);
    expect(code).toBe(1);
    expect(report.findings.filter((f: any) => f.rule === 'webhook-port-not-allowed').map((f: any) => f.flow.ports[0])).toEqual([15017, 8443, 9443, 4443]);
  });

  it('does not judge webhook ports without firewall rules to judge them against', async () => {
    const { report, code } = await check(['--manifests', WEBHOOKS, '--master-cidr', '172.16.0.32/28', '--pod-cidr', '10.1.0.0/16']);
    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.notes.join(' ')).toMatch(/Skipped for lack of input: webhook-port-not-allowed \(needs firewalls\); required-flow-blocked \(needs firewalls\)/);
  });

  it('reports a webhook whose named targetPort no workload declares instead of assuming 443', async () => {
    const unresolved = editedFixture('check/blueprint', [['firewall.yaml', (text) => `${text}---\n${readFileSync(WEBHOOKS, 'utf8').split(/^---$/m).filter((doc) => !/^kind: Deployment$/m.test(doc) || !/name: cert-manager-webhook$/m.test(doc)).join('---')}`]]);
    const { report } = await check(['--manifests', unresolved]);
    const warning = report.findings.find((f: any) => f.rule === 'webhook-port-unresolved');
    expect(warning).toMatchObject({ severity: 'warning', resources: ['webhook:webhook.cert-manager.io', 'service:cert-manager/cert-manager-webhook:443'] });
    expect(warning.explanation).toBe(
      'kfguard cannot tell which port the control plane dials for webhook.cert-manager.io (cert-manager/cert-manager-webhook:443): its targetPort "https" is named, and no workload among the inputs that the Service selects declares a container port of that name. Whether the firewall lets the control plane reach it was not judged.',
    );
    expect(warning.remediation.gcloud).toBe("kubectl -n cert-manager get endpoints cert-manager-webhook -o jsonpath='{.subsets[*].ports[*].port}'");
    expect(report.notes).toContain('The ports of cert-manager/cert-manager-webhook:443 could not be resolved from the inputs, so the webhooks calling them were not judged (see webhook-port-unresolved).');
    expect(report.findings.filter((f: any) => f.rule === 'webhook-port-not-allowed')).toEqual([]);
  });
});

describe('kfguard check on gcloud and kubectl exports', () => {
  const GCLOUD = fixturePath('check/gcloud');

  it('recognises every export by content and reports Config Connector resources that are not Ready', async () => {
    const { report, code } = await check(['--gcloud', GCLOUD]);
    expect(code).toBe(1);
    expect(report.rejected).toEqual([]);
    expect(report.stats).toMatchObject({ firewallRules: 12, routes: 6, webhooks: 3, clusters: 1 });
    expect(report.findings.map((f: any) => [f.rule, f.resources[0]])).toEqual([
      ['cnrm-resource-not-ready', 'ComputeFirewall/kf-test-health-ingress'],
      ['cnrm-resource-not-ready', 'ComputeRouterNAT/kf-test'],
    ]);
    expect(report.findings[0].explanation).toContain('DependencyNotFound: reference ComputeNetwork kf-test-project/kf-default is not found');
    expect(report.findings[0].remediation.gcloud).toBe('kubectl -n kf-test-project describe computefirewall kf-test-health-ingress');
  });

  it("uses GKE's real rules and node tag from the export", async () => {
    const dir = editedFixture('check/gcloud', [['firewall-rules.json', (text) => JSON.stringify(JSON.parse(text).filter((rule: any) => rule.name !== 'kf-test-istio'))]]);
    const { report } = await check(['--gcloud', dir]);
    const webhook = report.findings.find((f: any) => f.rule === 'webhook-port-not-allowed');
    expect(webhook).toMatchObject({ flow: { ports: [9443] }, firewallRule: 'kf-test-deny-ingress', resources: ['webhook:inferenceservice.kserve-webhook-server.defaulter'] });
    expect(webhook.remediation.gcloud).toContain('--target-tags=gke-kf-test-1b2c3d4e-node');
    expect(webhook.remediation).toMatchObject({ verified: true, summary: expect.stringContaining('the blocked traffic passes and nothing else opens') });
  });

  it('keeps one copy of a rule given both as a manifest and live, and checks live references only in manifests', async () => {
    const { report } = await check(['--manifests', BLUEPRINT, '--gcloud', fixturePath('check/gcloud/firewall-rules.json')]);
    expect(report.stats.firewallRules).toBe(12);
    expect(report.findings).toEqual([]);
  });

  it('rejects what it cannot recognise and keeps reading', async () => {
    const dir = editedFixture('check/gcloud', [['routes.json', (text) => JSON.stringify([{ hello: 'world' }, ...JSON.parse(text)], null, 2)]]);
    const { report } = await check(['--gcloud', `${dir}/routes.json`]);
    expect(report.rejected).toEqual([{ source: `${dir}/routes.json:2`, reason: expect.stringMatching(/^not a recognised export/) }]);
    expect(report.stats.routes).toBe(6);
  });

  it('names the line of a JSON syntax error and of each element of a kubectl List', async () => {
    const dir = editedFixture('check/gcloud', [
      ['routes.json', (text) => JSON.stringify(JSON.parse(text), null, 2).replace(/\n {2}\{\n/, '\n  {\n    oops\n')],
      ['kubectl-webhooks.json', (text) => JSON.stringify({ ...JSON.parse(text), items: [{ kind: 'Service' }, ...JSON.parse(text).items] }, null, 2)],
    ]);
    const { report } = await check(['--gcloud', `${dir}/routes.json`, `${dir}/kubectl-webhooks.json`]);
    const listLines = readFileSync(`${dir}/kubectl-webhooks.json`, 'utf8').split('\n');
    expect(report.rejected).toEqual([
      { source: `${dir}/routes.json:3`, reason: expect.stringMatching(/^invalid JSON/) },
      { source: `${dir}/kubectl-webhooks.json:${listLines.indexOf('    {') + 1}`, reason: expect.any(String) },
    ]);
  });
});
