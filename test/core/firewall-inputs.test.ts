import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addExportDocument } from '../../functions/src/core/config/gcloud.js';
import { finalizeConfig } from '../../functions/src/core/config/finalize.js';
import { emptyNetworkConfig, type ConfigRejection, type NetworkConfig } from '../../functions/src/core/config/specs.js';
import { clusterFirewalls } from '../../functions/src/core/check/firewall-stack.js';
import { jsonLocator } from '../../functions/src/adapters/input/json-tokens.js';
import { fixtureJson } from '../helpers/fixtures.js';

const DATA = '../shared/reference/gcpdiag-testdata/gke1';

function read(...documents: [string, unknown][]): { config: NetworkConfig; rejected: ConfigRejection[] } {
  const rejected: ConfigRejection[] = [];
  const config = emptyNetworkConfig();
  for (const [file, value] of documents) {
    const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    addExportDocument(JSON.parse(text), jsonLocator(text, file), { config, kind: 'export', reject: (source, reason) => rejected.push({ source, reason }) });
  }
  return { config: finalizeConfig(config), rejected };
}

const gcpdiag = (file: string): [string, string] => [file, readFileSync(`${DATA}/${file}`, 'utf8')];

describe('exports of firewall policies and networks', () => {
  it('get-effective-firewalls: the VPC rules, and the hierarchical policy attached to their network', () => {
    const { config, rejected } = read(gcpdiag('compute-effective-firewalls-default.json'));
    expect(rejected).toEqual([]);
    const policyRules = config.firewalls.filter((rule) => rule.policy);
    expect(config.firewalls.length - policyRules.length).toBe(34);
    expect(policyRules.map((rule) => [rule.name, rule.action, rule.layer]).slice(4, 8)).toEqual([
      ['firewallPolicy:902824820698/priority:601', 'goto_next', 'hierarchical-policy'],
      ['firewallPolicy:902824820698/priority:602', 'goto_next', 'hierarchical-policy'],
      ['firewallPolicy:902824820698/priority:603', 'goto_next', 'hierarchical-policy'],
      ['firewallPolicy:902824820698/priority:604', 'goto_next', 'hierarchical-policy'],
    ]);
    expect(config.firewallPolicies).toEqual([expect.objectContaining({ ref: { name: '902824820698', kind: 'hierarchical', shortName: 'default-firewall-policy' }, attachments: ['default'] })]);
    // The policy's host-route source (169.254.169.254, no prefix) is a /32.
    expect(policyRules.find((rule) => rule.priority === 601)!.sourceRanges.map((range) => range.text)).toContain('169.254.169.254/32');
  });

  it('a rule the API could not have returned is rejected at its own line; the rest of the policy is kept', () => {
    const dump = JSON.parse(readFileSync(`${DATA}/compute-effective-firewalls-default.json`, 'utf8'));
    dump.firewallPolicys[0].rules[2].action = 'drop';
    const text = JSON.stringify(dump, null, 2);
    const { config, rejected } = read(['effective.json', text]);
    const line = text.split('\n').findIndex((candidate, index, lines) => candidate.trim() === '{' && lines[index + 3]?.includes('"priority": 2')) + 1;
    expect(rejected).toEqual([{ source: `effective.json:${line}`, reason: 'firewall policy rule at priority 2: action: "drop" is not one of allow, deny, goto_next, apply_security_profile_group' }]);
    expect(config.firewalls.filter((rule) => rule.policy)).toHaveLength(11);
  });

  it('aggregated and paged list responses are read item by item, and subnets keep their region', () => {
    const { config, rejected } = read(gcpdiag('compute-subnetworks-aggregated.json'), ['list.json', { kind: 'compute#firewallList', items: fixtureJson('check/gcloud/firewall-rules.json') }]);
    expect(rejected).toEqual([]);
    expect(config.subnetworks).toHaveLength(37);
    expect(config.subnetworks.filter((subnet) => subnet.name === 'default')).toHaveLength(36);
    expect(config.subnetworks.find((subnet) => subnet.region === 'europe-west4' && subnet.name === 'default')?.ipCidrRange?.text).toBe('10.164.0.0/20');
    expect(config.firewalls).toHaveLength(12);
  });

  it("a network's enforcement order, a project's number, and a policy rule on deleted secure tags", () => {
    const policy = {
      ...fixtureJson<any>('check/policies/network-policy.json'),
      rules: [{ priority: 10, action: 'deny', direction: 'INGRESS', match: { srcIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] }, targetSecureTags: [{ name: 'tagValues/111', state: 'INEFFECTIVE' }] }],
    };
    const { config } = read(['network.json', fixtureJson('check/policies/network-before-classic.json')], ['project.json', { projectId: 'kf-test-project', projectNumber: '123456789012', lifecycleState: 'ACTIVE' }], ['policy.json', policy]);
    expect(config.networks).toEqual([expect.objectContaining({ name: 'kf-test', project: 'kf-test-project', enforcementOrder: 'BEFORE_CLASSIC_FIREWALL', live: true })]);
    expect(config.projectNumbers.get('kf-test-project')).toBe('123456789012');
    // Cloud NGFW ignores a rule whose every target secure tag is INEFFECTIVE.
    expect(config.firewalls[0]).toMatchObject({ name: 'firewallPolicy:kf-test-policy/priority:10', disabled: true, targetSecureTags: [] });
  });

  it("the project's number names the default service account, so rules on it select the nodes", () => {
    const cluster = { ...fixtureJson<any>('gke/cluster-describe.json'), nodeConfig: { serviceAccount: 'default' } };
    const rule = { kind: 'compute#firewall', name: 'deny-default-sa', network: 'projects/kf-test-project/global/networks/kf-net', priority: 10, direction: 'INGRESS', sourceRanges: ['0.0.0.0/0'], denied: [{ IPProtocol: 'all' }], targetServiceAccounts: ['123456789012-compute@developer.gserviceaccount.com'] };
    const { config } = read(['cluster.json', cluster], ['rules.json', [rule]], ['project.json', { projectId: 'kf-test-project', projectNumber: '123456789012' }]);
    expect(config.clusters[0]!.model.projectNumber).toBe('123456789012');
    expect(clusterFirewalls(config, config.clusters[0]!.model).stack.layers.find((layer) => layer.layer === 'vpc-firewall')!.rules.map((each) => each.name)).toContain('deny-default-sa');
  });
});
