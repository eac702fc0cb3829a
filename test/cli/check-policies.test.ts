import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { fixtureJson, fixturePath } from '../helpers/fixtures.js';
import { editedFixture } from '../helpers/edit-fixture.js';

const BLUEPRINT = fixturePath('check/blueprint');
const WEBHOOKS = 'functions/samples/kubeflow-webhooks.yaml';
const POLICIES = fixturePath('check/policies');
const NODE_SA = 'kf-test-nodes@kf-test-project.iam.gserviceaccount.com';

async function check(args: string[]): Promise<{ code: number; report: any; stderr: string }> {
  const result = await runCli(['check', '--format', 'json', ...args]);
  return { code: result.code, report: result.stdout ? JSON.parse(result.stdout) : undefined, stderr: result.stderr };
}

/** The blueprint with its nodes running as a known service account: what policy rules can target. */
const blueprintWithNodeAccount = () =>
  editedFixture('check/blueprint', [['cluster.yaml', '  masterAuthorizedNetworksConfig:', `  nodeConfig:\n    serviceAccountRef:\n      external: ${NODE_SA}\n  masterAuthorizedNetworksConfig:`]]);

const tempDir = () => mkdtempSync(join(tmpdir(), 'kfguard-check-'));
const writeJson = (dir: string, name: string, value: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
};

describe('hierarchical firewall policies', () => {
  it("a hierarchical deny is fixed in the policy, by goto_next, and the summary says who must apply it", async () => {
    const { report } = await check(['--manifests', blueprintWithNodeAccount(), WEBHOOKS, '--gcloud', `${POLICIES}/org-policy.json`]);
    const webhooks = report.findings.filter((f: any) => f.rule === 'webhook-port-not-allowed');
    // The organization passes only 443 and 10250 from control-plane ranges on: every other webhook port stops at its deny.
    expect(webhooks.map((f: any) => f.flow.ports[0])).toEqual([15017, 8443, 9443, 4443]);
    const istio = webhooks[0];
    expect(istio).toMatchObject({ firewallRule: 'firewallPolicy:81828481824/priority:700', firewallLayer: 'hierarchical-policy' });
    expect(istio.remediation).toMatchObject({ layer: 'hierarchical-policy', verified: true });
    expect(istio.remediation.gcloud).toBe(
      `gcloud compute firewall-policies rules create 699 --firewall-policy=81828481824 --action=goto_next --direction=INGRESS --src-ip-ranges=172.16.0.32/28 --dest-ip-ranges=10.1.0.0/16 --layer4-configs=tcp:15017 --target-service-accounts=${NODE_SA} --description='kfguard: webhook'`,
    );
    expect(istio.remediation.summary).toContain('an organization or folder administrator must apply it');
    expect(parseYaml(istio.remediation.manifest)).toMatchObject({
      kind: 'ComputeFirewallPolicyRule',
      spec: { firewallPolicyRef: { external: '81828481824' }, priority: 699, action: 'goto_next', direction: 'INGRESS', match: { srcIPRanges: ['172.16.0.32/28'], destIPRanges: ['10.1.0.0/16'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['15017'] }] }, targetServiceAccounts: [{ external: NODE_SA }], enableLogging: false },
    });
    // The rest of the network is judged by the project's rules, which the organization hands everything else to.
    expect(report.findings.filter((f: any) => f.rule === 'required-flow-blocked')).toEqual([]);
  });

  it('without the nodes\' service account a policy rule reaches every VM of the network: proposed, never verified', async () => {
    const { report } = await check(['--manifests', BLUEPRINT, WEBHOOKS, '--gcloud', `${POLICIES}/org-policy.json`]);
    const [istio] = report.findings.filter((f: any) => f.rule === 'webhook-port-not-allowed');
    expect(istio.remediation.verified).toBe(false);
    expect(istio.remediation.gcloud).toContain('--target-resources=https://www.googleapis.com/compute/v1/projects/kf-test-project/global/networks/kf-test');
    expect(istio.remediation.summary).toContain('It applies to every VM in network kf-test');
  });

  it('a flow handed to inspection counts as allowed, and the notes say a security profile may still drop it', async () => {
    const dir = tempDir();
    const policy = fixtureJson<any>('check/policies/org-policy.json');
    const controlPlane = policy.rules.find((rule: any) => rule.priority === 650);
    Object.assign(controlPlane, { action: 'apply_security_profile_group', securityProfileGroup: '//networksecurity.googleapis.com/organizations/1234/locations/global/securityProfileGroups/kf-ips' });
    const { report } = await check(['--manifests', blueprintWithNodeAccount(), '--gcloud', writeJson(dir, 'policy.json', policy)]);
    expect(report.findings.filter((f: any) => f.rule === 'required-flow-blocked')).toEqual([]);
    expect(report.notes).toContain('master-to-node is handed to inspection by the rule at priority 650 of hierarchical firewall policy 81828481824 (kf-org-guardrails), an apply_security_profile_group rule: kfguard took it as allowed, but the security profile may still drop it.');
  });

  it('a policy given without what it is attached to is assumed in force, and the notes say so', async () => {
    const dir = tempDir();
    const { associations: _dropped, ...policy } = fixtureJson<any>('check/policies/org-policy.json');
    const { report } = await check(['--manifests', BLUEPRINT, '--gcloud', writeJson(dir, 'policy.json', policy)]);
    expect(report.notes).toContain('The inputs do not say what firewall policy kf-org-guardrails is attached to: kfguard assumed it is in force on kf-test.');
  });
});

describe('network firewall policies and the enforcement order', () => {
  it('after classic rules (the default), the VPC rules that allow the webhooks decide first: nothing is blocked', async () => {
    const { report } = await check(['--manifests', BLUEPRINT, WEBHOOKS, '--gcloud', `${POLICIES}/network-policy.json`]);
    expect(report.findings.filter((f: any) => f.rule === 'webhook-port-not-allowed')).toEqual([]);
  });

  it('before classic rules, the policy deny decides, and the fix is a rule of that policy', async () => {
    const { report } = await check(['--manifests', blueprintWithNodeAccount(), WEBHOOKS, '--gcloud', `${POLICIES}/network-policy.json`, `${POLICIES}/network-before-classic.json`]);
    const blocked = report.findings.filter((f: any) => f.rule === 'webhook-port-not-allowed');
    expect(blocked.map((f: any) => [f.flow.ports[0], f.firewallRule, f.firewallLayer])).toEqual([
      [8443, 'firewallPolicy:kf-test-policy/priority:1000', 'network-policy'],
      [9443, 'firewallPolicy:kf-test-policy/priority:1000', 'network-policy'],
    ]);
    expect(blocked[0].remediation).toMatchObject({ layer: 'network-policy', verified: true });
    expect(blocked[0].remediation.gcloud).toBe(
      `gcloud compute network-firewall-policies rules create 999 --firewall-policy=kf-test-policy --global-firewall-policy --project=kf-test-project --action=allow --direction=INGRESS --src-ip-ranges=172.16.0.32/28 --dest-ip-ranges=10.1.0.0/16 --layer4-configs=tcp:8443 --target-service-accounts=${NODE_SA} --enable-logging --description='kfguard: webhook'`,
    );
    expect(parseYaml(blocked[0].remediation.manifest).kind).toBe('ComputeNetworkFirewallPolicyRule');
  });

  it('a network firewall policy denial from the logs, with the order unknown, gets a VPC rule and says what it assumed', async () => {
    const entry = structuredClone(fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'webhook-port-blocked'));
    entry.jsonPayload.rule_details.reference = 'network:kf-test/firewallPolicy:kf-test-policy';
    entry.jsonPayload.rule_details.priority = 1000;
    const result = await runCli(['analyze', '-', '--format', 'json', '--master-cidr', '172.16.0.32/28', '--pod-cidr', '10.1.0.0/16'], { stdin: JSON.stringify(entry) });
    const [finding] = JSON.parse(result.stdout).findings;
    expect(finding).toMatchObject({ firewallRule: 'firewallPolicy:kf-test-policy/priority:1000', firewallLayer: 'network-policy', remediation: { layer: 'vpc-firewall' } });
    expect(finding.remediation.summary).toContain('if the network says BEFORE_CLASSIC_FIREWALL, add the rule to policy kf-test-policy at a priority below 1000 instead');
  });
});

describe('hierarchical policy denials in the logs', () => {
  const entryDeniedBy = (reference: string, disposition = 'DENIED') => {
    const entry = structuredClone(fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'webhook-port-blocked'));
    entry.jsonPayload.rule_details.reference = reference;
    entry.jsonPayload.rule_details.priority = 700;
    entry.jsonPayload.disposition = disposition;
    return JSON.stringify(entry);
  };
  const analyze = async (stdin: string, extra: string[] = []) => {
    const result = await runCli(['analyze', '-', '--format', 'json', '--master-cidr', '172.16.0.32/28', '--pod-cidr', '10.1.0.0/16', ...extra], { stdin });
    return JSON.parse(result.stdout);
  };

  it.each(['organization/firewallPolicy:81828481824', 'folder/firewallPolicy:81828481824', '2/firewallPolicy:81828481824'])('%s: decided by the hierarchy, fixed there, never by a VPC rule', async (reference) => {
    const [finding] = (await analyze(entryDeniedBy(reference))).findings;
    expect(finding).toMatchObject({ rule: 'webhook-port-blocked', firewallRule: 'firewallPolicy:81828481824/priority:700', firewallLayer: 'hierarchical-policy' });
    expect(finding.remediation.layer).toBe('hierarchical-policy');
    expect(finding.remediation.gcloud).toMatch(/^gcloud compute firewall-policies rules create 699 --firewall-policy=81828481824 --action=goto_next /);
    expect(finding.remediation.gcloud).not.toContain('firewall-rules create');
  });

  it('proved against the policy itself with --rules: the goto_next passes to the VPC rules, which allow it', async () => {
    const rules = editedFixture('check/blueprint', []);
    const report = await analyze(entryDeniedBy('organization/firewallPolicy:81828481824'), ['--rules', `${rules}/firewall.yaml`, '--rules', `${POLICIES}/org-policy.json`]);
    const [finding] = report.findings;
    expect(finding.firewallRule).toBe('firewallPolicy:81828481824/priority:700');
    expect(finding.remediation).toMatchObject({ layer: 'hierarchical-policy', verified: false });
    expect(finding.remediation.summary).toContain('It applies to every VM in network');
  });

  it('INTERCEPTED entries are counted as ignored, not denied', async () => {
    const report = await analyze(entryDeniedBy('organization/firewallPolicy:81828481824', 'INTERCEPTED'));
    expect(report.stats).toMatchObject({ entries: 1, denied: 0, ignored: 1 });
    expect(report.findings).toEqual([]);
  });
});

describe('Shared VPC', () => {
  /** A cluster in a service project on the host project's network, as `gcloud container clusters describe` shows it. */
  function serviceProjectCluster(): string {
    const describe = fixtureJson<any>('gke/cluster-describe.json');
    return writeJson(tempDir(), 'cluster.json', {
      ...describe,
      selfLink: 'https://container.googleapis.com/v1/projects/ml-team/locations/us-central1/clusters/kf-test',
      network: 'shared-net',
      subnetwork: 'kf-nodes',
      networkConfig: { network: 'projects/net-host/global/networks/shared-net', subnetwork: 'projects/net-host/regions/us-central1/subnetworks/kf-nodes' },
    });
  }

  it('firewall rules are read from the host project and every fix goes there', async () => {
    const rules = fixtureJson<any[]>('check/gcloud/firewall-rules.json')
      .filter((rule) => rule.name !== 'kf-test-istio')
      .map((rule) => ({ ...rule, network: 'https://www.googleapis.com/compute/v1/projects/net-host/global/networks/shared-net', selfLink: String(rule.selfLink).replace('kf-test-project', 'net-host') }));
    const dir = tempDir();
    const { report } = await check(['--cluster', serviceProjectCluster(), '--gcloud', writeJson(dir, 'firewalls.json', rules), fixturePath('check/gcloud/kubectl-webhooks.json')]);
    expect(report.clusters[0]).toMatchObject({ project: 'ml-team', network: 'shared-net', networkProject: 'net-host' });
    const webhook = report.findings.find((f: any) => f.rule === 'webhook-port-not-allowed');
    expect(webhook.remediation.gcloud).toMatch(/^gcloud compute firewall-rules create \S+ --project=net-host --network=shared-net /);
    expect(webhook.remediation.verified).toBe(true);
  });

  it("rules of another project's network of the same name do not apply", async () => {
    const rules = fixtureJson<any[]>('check/gcloud/firewall-rules.json').map((rule) => ({ ...rule, network: 'https://www.googleapis.com/compute/v1/projects/other/global/networks/shared-net' }));
    const { report } = await check(['--cluster', serviceProjectCluster(), '--gcloud', writeJson(tempDir(), 'firewalls.json', rules)]);
    expect(report.notes.join(' ')).toMatch(/VPC firewall rules among the inputs are on other networks/);
  });
});

describe('GKE clusters on real networks', () => {
  it('a Private Service Connect cluster has no control-plane /28 to mismatch; nodes are judged reaching its endpoint', async () => {
    const describe = fixtureJson<any>('gke/cluster-describe.json');
    const { masterIpv4CidrBlock: _none, ...psc } = describe.privateClusterConfig;
    const cluster = writeJson(tempDir(), 'psc.json', { ...describe, privateClusterConfig: { ...psc, privateEndpoint: '10.10.10.2' } });
    const edited = editedFixture('check/gcloud', []);
    const { report } = await check(['--cluster', cluster, '--gcloud', `${edited}/firewall-rules.json`, `${edited}/kubectl-webhooks.json`]);
    expect(report.findings.map((f: any) => f.rule)).not.toContain('master-cidr-mismatch');
    expect(report.clusters[0]).toMatchObject({ controlPlaneConnection: 'psc', controlPlaneEndpoint: '10.10.10.2' });
    expect(report.notes.join(' ')).toContain('reaches its control plane through Private Service Connect');
  });

  it("another private cluster's rules are never reported, and a rule shared by every instance keeps the other cluster's range", async () => {
    const clusters = [
      fixtureJson<any>('gke/cluster-describe.json'),
      { ...fixtureJson<any>('gke/cluster-describe.json'), name: 'kf-other', id: '9f8e7d6c5b4a', privateClusterConfig: { enablePrivateNodes: true, masterIpv4CidrBlock: '172.16.0.48/28' } },
    ].map((cluster) => ({ ...cluster, network: 'kf-test', networkConfig: { ...cluster.networkConfig, network: 'projects/kf-test-project/global/networks/kf-test' } }));
    const rules = [
      ...fixtureJson<any[]>('check/gcloud/firewall-rules.json'),
      { kind: 'compute#firewall', name: 'gke-kf-other-9f8e7d6c-master', network: 'https://www.googleapis.com/compute/v1/projects/kf-test-project/global/networks/kf-test', direction: 'INGRESS', priority: 1000, sourceRanges: ['172.16.0.48/28'], targetTags: ['gke-kf-other-9f8e7d6c-node'], allowed: [{ IPProtocol: 'tcp', ports: ['443', '10250'] }] },
      { kind: 'compute#firewall', name: 'team-webhooks', network: 'https://www.googleapis.com/compute/v1/projects/kf-test-project/global/networks/kf-test', direction: 'INGRESS', priority: 1000, sourceRanges: ['172.16.0.16/28'], allowed: [{ IPProtocol: 'tcp', ports: ['8443'] }] },
    ];
    const dir = tempDir();
    const { report } = await check(['--gcloud', writeJson(dir, 'clusters.json', { clusters }), writeJson(dir, 'firewalls.json', rules), '--cluster-name', 'kf-test']);
    const mismatches = report.findings.filter((f: any) => f.rule === 'master-cidr-mismatch');
    expect(mismatches.map((f: any) => f.firewallRule)).toEqual(['team-webhooks']);
    expect(mismatches[0].remediation.gcloud).toBe('gcloud compute firewall-rules update team-webhooks --project=kf-test-project --source-ranges=172.16.0.16/28,172.16.0.32/28');
  });
});

describe('failing closed', () => {
  it("the Compute API's own list response is read, not rejected", async () => {
    const dir = tempDir();
    const { code, report } = await check(['--gcloud', writeJson(dir, 'list.json', { kind: 'compute#firewallList', id: 'projects/kf-test-project/global/firewalls', items: fixtureJson('check/gcloud/firewall-rules.json') })]);
    expect(report.rejected).toEqual([]);
    expect(report.stats.firewallRules).toBe(12);
    expect(code).not.toBe(2);
  });

  it('every element rejected: exit 2, one line on stderr with the count and the first reasons', async () => {
    const dir = tempDir();
    const path = writeJson(dir, 'unknown.json', [{ hello: 'world' }, { also: 'unknown' }]);
    const { code, stderr } = await check(['--gcloud', path]);
    expect(code).toBe(2);
    expect(stderr).toContain(`kfguard: 2 input elements were rejected (${path}:2: not a recognised export`);
    expect(stderr).toContain('kfguard: nothing in the inputs could be judged');
  });

  it('--allow-rejected judges what was read when something was readable, but never passes on nothing', async () => {
    const dir = tempDir();
    const mixed = writeJson(dir, 'mixed.json', [...fixtureJson<any[]>('check/gcloud/routes.json'), { hello: 'world' }]);
    expect((await check(['--gcloud', mixed])).code).toBe(2);
    expect((await check(['--gcloud', mixed, '--allow-rejected'])).code).not.toBe(2);
    expect((await check(['--gcloud', writeJson(dir, 'only-bad.json', [{ hello: 'world' }]), '--allow-rejected'])).code).toBe(2);
  });

  it('a clusters list without --cluster-name checks them all; with it, the one named, and a wrong name is a usage error', async () => {
    const dir = tempDir();
    const list = writeJson(dir, 'clusters.json', [fixtureJson<any>('gke/cluster-describe.json'), { ...fixtureJson<any>('gke/cluster-describe.json'), name: 'kf-two' }]);
    expect((await check(['--gcloud', list])).report.clusters.map((c: any) => c.name)).toEqual(['kf-test', 'kf-two']);
    expect((await check(['--gcloud', list, '--cluster-name', 'kf-two'])).report.clusters.map((c: any) => c.name)).toEqual(['kf-two']);
    const wrong = await check(['--gcloud', list, '--cluster-name', 'nope']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--cluster-name: no cluster named nope among the inputs (kf-test-project:us-central1:kf-test, kf-test-project:us-central1:kf-two)');
    expect((await check(['--gcloud', list, '--cluster-name', 'kf-test-project:us-central1:kf-two'])).report.clusters.map((c: any) => c.name)).toEqual(['kf-two']);
    expect((await check(['--gcloud', list, '--cluster-name', 'kf-test-project:us-east1:kf-two'])).code).toBe(2);
    const picked = await runCli(['check', '--cluster', list, '--cluster-name', 'kf-test-project:us-central1:kf-two', '--format', 'json']);
    expect(JSON.parse(picked.stdout).clusters.map((c: any) => c.name)).toEqual(['kf-two']);
    const ambiguous = await runCli(['check', '--cluster', list, '--format', 'json']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('holds 2 clusters (kf-test-project:us-central1:kf-test, kf-test-project:us-central1:kf-two): pick one with --cluster-name NAME or PROJECT:LOCATION:NAME');
  });
});

describe('Config Connector firewall policies', () => {
  it('ComputeFirewallPolicy, its rules and its association are evaluated like the API\'s', async () => {
    const manifests = join(tempDir(), 'policy.yaml');
    writeFileSync(
      manifests,
      [
        { apiVersion: 'compute.cnrm.cloud.google.com/v1beta1', kind: 'ComputeFirewallPolicy', metadata: { name: 'kf-org' }, spec: { organizationRef: { external: 'organizations/1234' }, shortName: 'kf-org' } },
        { apiVersion: 'compute.cnrm.cloud.google.com/v1beta1', kind: 'ComputeFirewallPolicyAssociation', metadata: { name: 'kf-org-assoc' }, spec: { attachmentTargetRef: { external: 'organizations/1234' }, firewallPolicyRef: { name: 'kf-org' } } },
        { apiVersion: 'compute.cnrm.cloud.google.com/v1beta1', kind: 'ComputeFirewallPolicyRule', metadata: { name: 'kf-org-deny' }, spec: { firewallPolicyRef: { name: 'kf-org' }, priority: 700, action: 'deny', direction: 'INGRESS', match: { srcIPRanges: ['172.16.0.0/12'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['9443'] }] } } },
      ]
        .map((doc) => stringify(doc))
        .join('---\n'),
    );
    const { report } = await check(['--manifests', BLUEPRINT, WEBHOOKS, manifests]);
    const blocked = report.findings.filter((f: any) => f.rule === 'webhook-port-not-allowed');
    expect(blocked.map((f: any) => [f.flow.ports[0], f.firewallRule, f.firewallLayer])).toEqual([[9443, 'firewallPolicy:kf-org/priority:700', 'hierarchical-policy']]);
    expect(report.notes).toContain('firewall policy kf-org is attached to organizations/1234: kfguard assumed the project is under it.');
    expect(parseAllDocuments(blocked[0].remediation.manifest)[0]!.toJS().kind).toBe('ComputeFirewallPolicyRule');
  });
});
