import { describe, expect, it } from 'vitest';
import { ClusterIdError, formatClusterId, parseClusterId } from '../../functions/src/core/model/cluster-id.js';
import { clusterKey } from '../../functions/src/core/pipeline/registry.js';
import { findingLocation } from '../../functions/src/core/pipeline/finding-record.js';
import { emailMessage } from '../../functions/src/core/pipeline/messages.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

describe('the cluster id, PROJECT:LOCATION:NAME, one way everywhere', () => {
  it('is the clusters document id, and what findings say they belong to', () => {
    const id = { project: 'acme-ml-prod', location: 'us-central1', name: 'kf-prod' };
    expect(formatClusterId(id)).toBe('acme-ml-prod:us-central1:kf-prod');
    expect(clusterKey(id.project, id.location, id.name)).toBe('acme-ml-prod:us-central1:kf-prod');
    expect(findingLocation({ scope: 'acme-ml-prod:us-central1:kf-prod', project: 'acme-ml-prod', location: 'us-central1', cluster: 'kf-prod' })).toBe('acme-ml-prod:us-central1:kf-prod');
    // An entry of no registered cluster is kept per project.
    expect(findingLocation({ scope: 'acme-ml-prod:-:-', project: 'acme-ml-prod' })).toBe('acme-ml-prod');
  });

  it("a failed deployment's notification names the cluster and project in words: the workflow sends no location, so there is no id to write", () => {
    const email = emailMessage({
      id: 'kf-prod-2026-11-20-failed',
      kind: 'deployment-failed',
      createdAt: '2026-11-20T10:00:00Z',
      deployment: { id: 'kf-prod-2026-11-20', project: 'acme-ml-prod', name: 'kf-prod', stage: 'gate', reason: 'kfguard check found 1 error', findings: [] },
    });
    expect(email.text).toContain('Deployment kf-prod-2026-11-20 (cluster kf-prod in project acme-ml-prod) failed at stage gate.');
    expect(email.text).not.toContain('acme-ml-prod/kf-prod');
  });

  it('reads back what it writes, a domain-scoped project keeping its colon', () => {
    for (const id of [
      { project: 'acme-ml-prod', location: 'us-central1', name: 'kf-prod' },
      { project: 'example.com:ml-prod', location: 'europe-west4-a', name: 'kf' },
    ]) {
      expect(parseClusterId(formatClusterId(id))).toEqual(id);
    }
  });

  it.each([
    ['acme-ml-prod/us-central1/kf-prod', /^not a cluster id: write it PROJECT:LOCATION:NAME/],
    ['us-central1:kf-prod', /^not a cluster id: write it PROJECT:LOCATION:NAME/],
    ['acme-ml-prod:US-CENTRAL1:kf-prod', /^not a cluster id: location "US-CENTRAL1" is not a valid GCP location$/],
    ['acme-ml-prod:us-central1:', /^not a cluster id: name "" is not a valid GCP name$/],
    [':us-central1:kf-prod', /^not a cluster id: project "" is not a valid GCP project$/],
  ])('refuses %j, saying why', (text, why) => {
    expect(() => parseClusterId(text)).toThrow(ClusterIdError);
    expect(() => parseClusterId(text)).toThrow(why);
  });

  it('--cluster-name takes a name or the id, and refuses anything else as a usage error', async () => {
    const cluster = fixturePath('gke/cluster-describe.json');
    const byId = await runCli(['analyze', '-', '--format', 'json', '--cluster', cluster, '--cluster-name', 'kf-test-project:us-central1:kf-test'], { stdin: '' });
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.stdout).model).toMatchObject({ project: 'kf-test-project', location: 'us-central1', name: 'kf-test' });
    const slash = await runCli(['analyze', '-', '--cluster', cluster, '--cluster-name', 'us-central1/kf-test'], { stdin: '' });
    expect(slash).toMatchObject({ code: 2, stdout: '', stderr: 'kfguard: --cluster-name us-central1/kf-test: not a cluster name; write NAME, or the cluster id PROJECT:LOCATION:NAME\n' });
    const short = await runCli(['analyze', '-', '--cluster', cluster, '--cluster-name', 'us-central1:kf-test'], { stdin: '' });
    expect(short).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^kfguard: --cluster-name us-central1:kf-test: not a cluster id: write it PROJECT:LOCATION:NAME/) });
    const elsewhere = await runCli(['analyze', '-', '--cluster', cluster, '--cluster-name', 'kf-test-project:us-east1:kf-test'], { stdin: '' });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('no cluster named kf-test-project:us-east1:kf-test (it holds kf-test-project:us-central1:kf-test)');
  });
});
