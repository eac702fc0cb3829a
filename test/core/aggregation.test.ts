import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../functions/src/core/analyze/analyzer.js';
import { DEFAULT_STUCK_MINUTES } from '../../functions/src/core/gke/operation.js';
import { MAX_PORTS_PER_CAUSE, MAX_RESOURCES } from '../../functions/src/core/findings/finding.js';
import { emptyClusterModel, withRangeOverrides } from '../../functions/src/core/model/cluster.js';

const model = { ...withRangeOverrides(emptyClusterModel(), { masterCidr: '172.16.0.32/28', nodeCidrs: ['10.10.10.0/24'], podCidrs: ['10.1.0.0/16'] }), network: 'kf-net' };

/** A scanner on the internet knocking on a node, as the deny-all ingress rule logs it. */
function scan(source: string, port: number): Record<string, unknown> {
  return {
    logName: 'projects/kf-test-project/logs/compute.googleapis.com%2Ffirewall',
    timestamp: '2026-03-02T10:15:01Z',
    jsonPayload: {
      connection: { src_ip: source, src_port: 40000, dest_ip: '10.10.10.31', dest_port: port, protocol: 6 },
      disposition: 'DENIED',
      instance: { vm_name: 'gke-kf-test-default-pool-1b2c3d4e-abcd' },
      rule_details: { reference: 'network:kf-net/firewall:kf-deny-all-ingress', priority: 65534, direction: 'INGRESS' },
      vpc: { vpc_name: 'kf-net', project_id: 'kf-test-project' },
    },
  };
}

/** Distinct documentation-range and public addresses, none of them Google's. */
const address = (i: number): string => `203.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 1 > 254 ? 1 : (i & 255) + 1}`;

function analyze(entries: Record<string, unknown>[]) {
  const analyzer = new Analyzer({ model, now: new Date('2026-03-02T12:00:00Z'), thresholds: DEFAULT_STUCK_MINUTES });
  entries.forEach((entry, i) => analyzer.addEntry(entry, `in:${i + 1}`));
  return analyzer.report();
}

describe('aggregation stays bounded whatever the input', () => {
  it('denials from thousands of distinct internet addresses are one finding with a bounded sample of them', () => {
    const report = analyze(Array.from({ length: 5000 }, (_, i) => scan(address(i), 3389)));
    expect(report.findings).toHaveLength(1);
    const [finding] = report.findings;
    expect(finding).toMatchObject({ rule: 'unclassified-denial', count: 5000, flow: { source: 'internet', ports: [3389] } });
    expect(finding!.resources).toHaveLength(MAX_RESOURCES);
    expect(finding!.resources.slice(0, 3)).toEqual(['vm:gke-kf-test-default-pool-1b2c3d4e-abcd', `ip:${address(0)}`, `ip:${address(1)}`]);
    expect(finding!.remediation.gcloud).toContain('--source-ranges=SOURCE_CIDR');
  });

  it('a port scan folds the ports past the first few into one finding', () => {
    const ports = Array.from({ length: 500 }, (_, i) => 1000 + i);
    const report = analyze(ports.map((port, i) => scan(address(i), port)));
    expect(report.findings).toHaveLength(MAX_PORTS_PER_CAUSE + 1);
    const folded = report.findings.find((finding) => finding.flow!.ports.length > 1)!;
    expect(folded.count).toBe(500 - MAX_PORTS_PER_CAUSE);
    expect(folded.flow!.ports).toEqual(ports.slice(MAX_PORTS_PER_CAUSE, MAX_PORTS_PER_CAUSE + MAX_RESOURCES));
    expect(folded.explanation).toMatch(/^INGRESS the internet such as 203\.0\.0\.21 → a node .* on more than 20 tcp ports was denied by firewall rule kf-deny-all-ingress/);
    expect(folded.remediation).toMatchObject({ gcloud: null, manifest: null });
    const single = report.findings.filter((finding) => finding !== folded);
    expect(single.map((finding) => finding.flow!.ports[0])).toEqual(ports.slice(0, MAX_PORTS_PER_CAUSE));
  });
});
