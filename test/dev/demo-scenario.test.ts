import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildContext } from '../../functions/src/core/check/context.js';
import { flowFromFirewallPayload } from '../../functions/src/core/diagnosis/flow.js';
import { trafficOfFlow } from '../../functions/src/core/diagnosis/traffic.js';
import { ownGkeRules } from '../../functions/src/core/firewall/gke-rules.js';
import { FirewallPayloadSchema, parseRuleReference } from '../../functions/src/core/logs/firewall-log.js';
import { isFirewallLog, LogEntrySchema } from '../../functions/src/core/logs/log-entry.js';
import { demoScenario, INCIDENT_LOGS, sweptNetwork } from '../helpers/live-network.js';

type Json = Record<string, any>;

/**
 * `npm start` plays the incident's log entries against the scenario's live network, and the
 * sweep's findings are compared with the sink's: the two must tell one story. Each test lists every
 * disagreement, so a changed sample says what no longer fits.
 */
describe('the demo scenario and its incident logs agree', () => {
  const scenario = demoScenario();
  const { config, model } = sweptNetwork(scenario);
  const cluster = scenario.clusters.find((candidate) => candidate.register)!.gke as Json;
  const prefix = `gke-${cluster['name']}-${String(cluster['id']).slice(0, 8)}`;
  const entries = readFileSync(INCIDENT_LOGS, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Json);
  const firewallEntries = entries.filter((entry) => isFirewallLog(LogEntrySchema.parse(entry)));
  const live = (name: string) => config.firewalls.find((rule) => rule.name === name);

  it('GKE\'s rules for the cluster and their node tag carry the hash of its id', () => {
    const wrong = scenario.compute.firewalls.flatMap((rule) => {
      const names = [String(rule['name']), ...((rule['targetTags'] as string[] | undefined) ?? [])].filter((name) => name.startsWith(`gke-${cluster['name']}-`));
      return names.filter((name) => !name.startsWith(`${prefix}-`));
    });
    expect(wrong, `GKE names without ${prefix}`).toEqual([]);
    expect(ownGkeRules(config.firewalls, model).map((rule) => rule.name).sort()).toEqual([`${prefix}-all`, `${prefix}-master`, `${prefix}-vms`]);
    expect(buildContext(config, model).nodeTags[0]).toBe(`${prefix}-node`);
  });

  it('the route to the control plane goes through the cluster\'s own peering', () => {
    const peering = cluster['privateClusterConfig']['peeringName'];
    const routes = scenario.compute.routes.filter((route) => route['nextHopPeering'] !== undefined);
    expect(routes.map((route) => [route['destRange'], route['nextHopPeering']])).toEqual([[cluster['privateClusterConfig']['masterIpv4CidrBlock'], peering]]);
    expect(routes.map((route) => route['description'])).toEqual([`Auto generated route via peering [${peering}].`]);
  });

  it('every rule an entry names is a live rule, at the live priority, with its action and direction', () => {
    const disagreements = firewallEntries.flatMap((entry) => {
      const details = entry['jsonPayload']['rule_details'];
      const { name } = parseRuleReference(details.reference, details.priority);
      const rule = live(name);
      if (!rule) return [`${entry['insertId']}: ${name} is not among the live rules`];
      const logged = [details.priority, details.action.toLowerCase(), details.direction];
      const actual = [rule.priority, rule.action, rule.direction];
      return JSON.stringify(logged) === JSON.stringify(actual) ? [] : [`${entry['insertId']}: ${name} logged as ${logged.join(' ')}, live ${actual.join(' ')}`];
    });
    expect(disagreements).toEqual([]);
  });

  it('the live rules decide every logged connection as its entry says', () => {
    const { evaluator, nodeTags } = buildContext(config, model);
    const disagreements = firewallEntries.flatMap((entry) => {
      const payload = FirewallPayloadSchema.parse(entry['jsonPayload']);
      const flow = flowFromFirewallPayload(payload, { ...model, nodeTags });
      const verdict = evaluator.evaluate(trafficOfFlow(flow, { ...model, nodeTags }));
      const decided = `${verdict.allowed ? 'ALLOWED' : 'DENIED'} by ${verdict.rule.name}`;
      const logged = `${payload.disposition} by ${flow.rule?.name}`;
      return decided === logged ? [] : [`${entry['insertId']}: logged ${logged}, the live rules say ${decided}`];
    });
    expect(disagreements).toEqual([]);
  });

  it('entries come from the scenario\'s project, network and cluster, and from its nodes', () => {
    const disagreements = entries.flatMap((entry) => {
      const labels = entry['resource']?.['labels'] ?? {};
      const payload = entry['jsonPayload'] ?? {};
      const found = [
        labels['project_id'] !== scenario.project && `project ${labels['project_id']}`,
        labels['cluster_name'] !== undefined && labels['cluster_name'] !== cluster['name'] && `cluster ${labels['cluster_name']}`,
        payload['vpc'] !== undefined && payload['vpc']['vpc_name'] !== model.network && `network ${payload['vpc']['vpc_name']}`,
        ...[payload['instance'], payload['remote_instance']].filter((instance) => instance !== undefined && !String(instance['vm_name']).startsWith(`gke-${cluster['name']}-`)).map((instance) => `VM ${instance['vm_name']}`),
      ].filter((text): text is string => typeof text === 'string');
      return found.map((text) => `${entry['insertId']}: ${text}`);
    });
    expect(disagreements).toEqual([]);
  });
});
