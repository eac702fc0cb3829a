import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * Real Compute and GKE API responses of a seven-cluster project, from Google's gcpdiag test data
 * (../shared/reference/gcpdiag-testdata/gke1): the VPC rules and the organization's hierarchical
 * policy as get-effective-firewalls returns them, the clusters, every region's subnets. Each verdict
 * below can be defended rule by rule from that data.
 */
const DATA = '../shared/reference/gcpdiag-testdata/gke1';
const EXPORTS = [
  'compute-effective-firewalls-default.json',
  'container-clusters.json',
  'compute-subnetworks-aggregated.json',
  'compute-network-routes.json',
  'compute-routers-europe-west4.json',
  'compute-routers-us-east4.json',
  'compute-routers-us-west2.json',
].map((file) => `${DATA}/${file}`);

async function report(): Promise<any> {
  const result = await runCli(['check', '--format', 'json', '--gcloud', ...EXPORTS]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

const clusterOf = (finding: any): string | undefined => finding.resources.find((resource: string) => resource.startsWith('cluster:'))?.slice('cluster:'.length);

describe('kfguard check on the gcpdiag gke1 project', () => {
  it('reads every export: 46 VPC rules and the hierarchical policy, 7 clusters, every subnet by region', async () => {
    const { stats, rejected, clusters } = await report();
    expect(rejected).toEqual([]);
    expect(stats).toMatchObject({ firewallRules: 46, clusters: 7 });
    // 36 regions have a subnet named "default": each cluster gets the one in its own region.
    const byName = Object.fromEntries(clusters.map((cluster: any) => [cluster.name, cluster]));
    expect(byName['gke1'].nodeCidrs).toEqual(['192.168.0.0/24']);
    expect(byName['gke4'].nodeCidrs).toEqual(['10.164.0.0/20']);
    expect(byName['gke2'].podCidrs).toEqual(['10.4.0.0/14', '10.112.0.0/14']);
    expect(byName['gke3']).toMatchObject({ controlPlaneConnection: 'psc', controlPlaneEndpoint: '10.164.15.229' });
    expect(byName['gke4']).toMatchObject({ controlPlaneConnection: 'peering', masterCidr: '10.0.1.0/28' });
  });

  it("no false alarm on GKE's own rules: -inkubelet above -exkubelet, -vms, -all, the hierarchy's goto_next", async () => {
    const { findings } = await report();
    const flows = findings.filter((finding: any) => finding.rule === 'required-flow-blocked');
    // Only gke2 (its test deny rules, and a second pod range no -all rule covers) and gke4 (its test deny on the probers).
    expect([...new Set(flows.map(clusterOf))].sort()).toEqual(['gke2', 'gke4']);
    expect(flows.map((finding: any) => finding.firewallRule)).not.toContain('gke-gke1-c10b95be-exkubelet');
    expect(findings.map((finding: any) => finding.rule)).not.toContain('master-cidr-mismatch');
  });

  it('gke2: exactly the pieces its deny rules and the missing pod-range allow block, each with a proven fix', async () => {
    const { findings } = await report();
    const gke2 = findings.filter((finding: any) => finding.rule === 'required-flow-blocked' && clusterOf(finding) === 'gke2');
    expect(gke2.map((finding: any) => [finding.firewallRule, finding.flow.source, finding.flow.protocol, finding.flow.ports])).toEqual([
      ['gke-gke2-all-test-deny', '10.4.0.0/14,10.112.0.0/14,10.164.0.0/20', 'tcp', ['1-1000']],
      // default-allow-rdp lets tcp:3389 in from anywhere the organization passes on.
      ['implied-deny-ingress', '10.112.0.0/14', 'tcp', ['1001-3388', '3390-65535']],
      ['gke-gke2-vms-test-deny', '10.164.0.0/20', 'udp', ['1-1000']],
      ['implied-deny-ingress', '10.112.0.0/14', 'udp', ['1-65535']],
    ]);
    for (const finding of gke2) {
      expect(finding.remediation).toMatchObject({ layer: 'vpc-firewall', verified: true });
      expect(finding.remediation.gcloud).toContain('--target-tags=gke-gke2-12cd17cd-node');
    }
    expect(gke2[0].remediation.gcloud).toContain('--priority=899 --allow=tcp:1-1000 ');
  });

  it("gke4: the load balancer's 8080, denied from 35.191.0.0/16 only; nothing checks 80 or 443", async () => {
    const { findings, notes } = await report();
    const health = findings.filter((finding: any) => finding.flow?.name === 'health-check-to-node');
    expect(health.map((finding: any) => [clusterOf(finding), finding.firewallRule, finding.flow.source, finding.flow.ports])).toEqual([['gke4', 'gke-gke4-ingress-test-deny', '35.191.0.0/16', [8080]]]);
    expect(health[0].remediation.gcloud).toContain('--source-ranges=35.191.0.0/16 ');
    expect(notes).toEqual(expect.arrayContaining([expect.stringContaining('No load balancer health checks are known for gke2')]));
    expect(notes.join(' ')).not.toContain('No load balancer health checks are known for gke3');
  });

  it('the organization policy is judged where it decides: its unlogged deny-all, and what falls through to the implied deny', async () => {
    const { findings } = await report();
    const policyDeny = findings.find((finding: any) => finding.firewallRule === 'firewallPolicy:902824820698/priority:700');
    expect(policyDeny).toMatchObject({ rule: 'deny-logging-disabled', firewallLayer: 'hierarchical-policy', remediation: { layer: 'hierarchical-policy', gcloud: 'gcloud compute firewall-policies rules update 700 --firewall-policy=902824820698 --enable-logging' } });
    const trace = findings.find((finding: any) => finding.rule === 'no-logged-catch-all-deny');
    // GCP's default-allow-* rules sit at 65534: they move up one before the logged deny-all goes in.
    expect(trace.remediation.verified).toBe(true);
    expect(trace.remediation.gcloud.split('\n')).toEqual([
      'gcloud compute firewall-rules update default-allow-icmp --project=gcpdiag-gke1-aaaa --priority=65533',
      'gcloud compute firewall-rules update default-allow-internal --project=gcpdiag-gke1-aaaa --priority=65533',
      'gcloud compute firewall-rules update default-allow-rdp --project=gcpdiag-gke1-aaaa --priority=65533',
      'gcloud compute firewall-rules update default-allow-ssh --project=gcpdiag-gke1-aaaa --priority=65533',
      'gcloud compute firewall-rules create default-deny-all-ingress-logged --project=gcpdiag-gke1-aaaa --network=default --direction=INGRESS --priority=65534 --action=DENY --rules=all --source-ranges=0.0.0.0/0 --enable-logging',
    ]);
  });

  it('one cluster of the list with --cluster-name', async () => {
    const result = await runCli(['check', '--format', 'json', '--gcloud', ...EXPORTS, '--cluster-name', 'gke4']);
    const { clusters, findings } = JSON.parse(result.stdout);
    expect(clusters.map((cluster: any) => cluster.name)).toEqual(['gke4']);
    expect(findings.filter((finding: any) => finding.rule === 'required-flow-blocked').map(clusterOf)).toEqual(['gke4']);
  });
});
