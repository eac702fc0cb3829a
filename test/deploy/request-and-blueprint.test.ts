import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDeploymentRequest, serializableRequest } from '../../functions/src/core/deploy/request.js';
import { enablePrivateInKustomization, parseSetters, PRIVATE_PATCH, PRIVATE_RESOURCES, setMakefileValues } from '../../functions/src/core/deploy/blueprint.js';
import { stageBuild } from '../../functions/src/core/deploy/builds.js';
import type { BuildStage } from '../../functions/src/core/deploy/stages.js';
import { CONTAINER_CLUSTER_CRD, ipAllocationGaps, ipAllocationPatch } from '../../functions/src/core/deploy/crd.js';
import { STAGES } from '../../functions/src/core/deploy/stages.js';
import { runCli } from '../helpers/cli.js';
import { editedFixture } from '../helpers/edit-fixture.js';
import { fixturePath } from '../helpers/fixtures.js';

const sample = (): any => JSON.parse(readFileSync('functions/samples/deployment-request.json', 'utf8'));

describe('DeploymentRequest', () => {
  it('accepts the sample and keeps ranges as text when stored', () => {
    const parsed = parseDeploymentRequest(sample());
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(serializableRequest(parsed.request)['network']).toEqual({ controlPlaneCidr: '172.16.0.32/28', nodeCidr: '10.10.10.0/24', podCidr: '10.1.0.0/16', serviceCidr: '10.10.11.0/24' });
  });

  it.each<[string, (request: any) => void, RegExp]>([
    ['a plaintext client secret', (r) => (r.iap.clientSecret = 'GOCSPX-verysecret'), /iap\.clientSecret: plaintext secrets are refused/],
    ['a password anywhere', (r) => (r.notify.password = 'hunter2'), /notify\.password: plaintext secrets are refused/],
    ['a name that would inject into a shell', (r) => (r.name = 'kf;rm -rf /'), /^name: lowercase letters/],
    ['an uppercase name', (r) => (r.name = 'KfProd'), /^name:/],
    ['a name over 24 characters', (r) => (r.name = 'kubeflow-production-cluster-1'), /at most 24 characters/],
    ['a control plane that is not a /28', (r) => (r.network.controlPlaneCidr = '172.16.0.0/24'), /must be exactly a \/28, got \/24/],
    ['a public range', (r) => (r.network.podCidr = '34.0.0.0/16'), /not in RFC 1918 space/],
    ['overlapping ranges', (r) => (r.network.serviceCidr = '10.1.128.0/24'), /serviceCidr 10\.1\.128\.0\/24 overlaps podCidr 10\.1\.0\.0\/16/],
    ['a location that is neither region nor zone', (r) => (r.location = 'europe-west4'), /location must be the region \(us-central1\) or the zone \(us-central1-c\)/],
    ['a zone outside the region', (r) => (r.zone = 'europe-west4-a'), /zone europe-west4-a is not in region us-central1/],
    ['an unknown field', (r) => (r.extra = true), /Unrecognized key/],
    ['a secret reference that is not Secret Manager', (r) => (r.iap.clientSecret = { secretManager: 'gs://bucket/secret' }), /projects\/P\/secrets\/S\/versions\/V/],
  ])('rejects %s, saying where and why', (_name, mutate, message) => {
    const request = sample();
    mutate(request);
    const parsed = parseDeploymentRequest(request);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.join('\n')).toMatch(message);
    expect(parsed.errors.join('\n')).not.toContain('GOCSPX-verysecret');
    expect(parsed.errors.join('\n')).not.toContain('hunter2');
  });
});

describe('kfguard blueprint enable-private', () => {
  const run = (dir: string, ...sets: string[]) => runCli(['blueprint', 'enable-private', dir, ...sets.flatMap((set) => ['--set', set])]);

  it("makes the guide's kustomization edits, keeping comments and style, and is idempotent", async () => {
    const dir = editedFixture('blueprint/kubeflow', []);
    const before = readFileSync(`${dir}/instance/gcp_config/kustomization.yaml`, 'utf8');
    const setters = ['name=kf-prod', 'project=acme-ml-prod', 'region=us-central1', 'zone=us-central1-c', 'location=us-central1', 'mgmt-ctxt=kf-mgmt', 'email=ml-admin@acme.example'];
    const first = await run(dir, ...setters);
    expect(first.code).toBe(0);
    const after = readFileSync(`${dir}/instance/gcp_config/kustomization.yaml`, 'utf8');
    expect(after).toBe(
      before
        .replace('- ../../upstream/manifests/gcp/v2/cnrm\n', `- ../../upstream/manifests/gcp/v2/cnrm\n- ${PRIVATE_RESOURCES}\n`)
        .replace('- cluster-nodepool-patch.yaml # keep: sizes the default pool\n', `- cluster-nodepool-patch.yaml # keep: sizes the default pool\n- ${PRIVATE_PATCH}\n`),
    );
    expect(after).toContain('namespace: project-id # {"$kpt-set":"project"}');
    const makefile = readFileSync(`${dir}/Makefile`, 'utf8');
    expect(makefile).toContain('\tkpt cfg set ./instance gke.private true\n');
    expect(makefile).toContain('\tkpt cfg set ./upstream/manifests/gcp name kf-prod\n');
    expect(makefile).toContain('\tkpt cfg set ./instance name kf-prod\n');
    expect(makefile).toContain('\tkpt cfg set ./upstream/manifests/gcp log-firewalls true\n');
    expect(makefile).toContain('\tkpt cfg set ./upstream/manifests/gcp gcloud.compute.region us-central1\n');
    expect(makefile).toContain('\tkpt cfg set ./instance email ml-admin@acme.example\n');
    expect(makefile).toContain('# The management cluster context and the Kubeflow name are read from the Kptfile.');
    const again = await run(dir, ...setters);
    expect(again.stdout).toBe('already configured for private GKE; nothing changed\n');
    expect(readFileSync(`${dir}/instance/gcp_config/kustomization.yaml`, 'utf8')).toBe(after);
    expect(readFileSync(`${dir}/Makefile`, 'utf8')).toBe(makefile);
  });

  it('creates missing lists in a kustomization that has none', () => {
    const { text, added } = enablePrivateInKustomization('# minimal\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n');
    expect(added).toHaveLength(2);
    expect(parseYaml(text)).toMatchObject({ patchesStrategicMerge: [PRIVATE_PATCH], resources: [PRIVATE_RESOURCES] });
    expect(text.startsWith('# minimal\n')).toBe(true);
  });

  it.each([
    ['name=kf;rm -rf /', /may contain only letters, digits/],
    ['name=$(whoami)', /may contain only letters, digits/],
    ['name=KF-Prod', /is not lowercase letters, digits and dashes/],
    ['name=kubeflow-production-cluster-1', /at most 24 characters/],
    ['email=not-an-address', /is not an email address/],
    ['colour=blue', /unknown setter "colour"/],
    ['noequals', /unknown setter ""/],
  ])('refuses --set %s', (assignment, message) => {
    expect(() => parseSetters([assignment])).toThrow(message);
  });

  it('names every placeholder the values leave in set-values, and writes nothing', async () => {
    const dir = editedFixture('blueprint/kubeflow', []);
    const before = readFileSync(`${dir}/instance/gcp_config/kustomization.yaml`, 'utf8');
    const result = await run(dir, 'name=kf-prod', 'project=acme-ml-prod', 'zone=us-central1-c', 'location=us-central1');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('set-values still has placeholders: mgmt-ctxt (<YOUR_MANAGEMENT_CTXT>), email (<YOUR_EMAIL_ADDRESS>)');
    expect(readFileSync(`${dir}/instance/gcp_config/kustomization.yaml`, 'utf8')).toBe(before);
  });

  it("sets the private-GKE ranges, the firewall rules that name the control plane with them, idempotently", async () => {
    const dir = editedFixture('blueprint/kubeflow', []);
    const setters = ['name=kf-prod', 'project=acme-ml-prod', 'zone=us-central1-c', 'location=us-central1', 'mgmt-ctxt=kf-mgmt', 'email=ml-admin@acme.example'].flatMap((set) => ['--set', set]);
    const ranges = ['--master-cidr', '172.16.0.64/28', '--pod-cidr', '10.4.0.0/14'];
    const first = await runCli(['blueprint', 'enable-private', dir, ...setters, ...ranges]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('cluster-private-patch.yaml masterIpv4CidrBlock: 172.16.0.32/28 -> 172.16.0.64/28');
    expect(first.stdout).toContain('firewall.yaml name-istio sourceRanges: 172.16.0.32/28 -> 172.16.0.64/28');
    expect(first.stdout).toContain('ComputeSubnetwork secondaryIpRange pods: 10.1.0.0/16 -> 10.4.0.0/14');
    const firewall = readFileSync(`${dir}/upstream/manifests/gcp/v2/privateGKE/firewall.yaml`, 'utf8');
    expect(firewall).toContain('  name: name-istio # {"$kpt-set":"name-istio"}\n');
    const again = await runCli(['blueprint', 'enable-private', dir, ...setters, ...ranges]);
    expect(again.stdout).toBe('already configured for private GKE; nothing changed\n');
    expect(readFileSync(`${dir}/upstream/manifests/gcp/v2/privateGKE/firewall.yaml`, 'utf8')).toBe(firewall);
    expect((await runCli(['blueprint', 'enable-private', dir, '--master-cidr', '2001:db8::/64'])).stderr).toMatch(/--master-cidr 2001:db8::\/64: must be an IPv4 \/28/);
  });

  it('says what is wrong with a directory that is not a blueprint', async () => {
    const result = await run(fixturePath('logs'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read .*kustomization\.yaml: is this the blueprint's kubeflow directory/);
  });

  it('edits only set-values lines of the Makefile', () => {
    const makefile = 'x:\n\tkpt cfg set ./instance name old\nset-values:\n\tkpt cfg set ./instance name <YOUR_KF_NAME>\n\techo done\n\nother:\n\tkpt cfg set ./instance name keep\n';
    const { text } = setMakefileValues(makefile, { name: 'kf' });
    expect(text).toBe('x:\n\tkpt cfg set ./instance name old\nset-values:\n\tkpt cfg set ./instance name kf\n\techo done\n\nother:\n\tkpt cfg set ./instance name keep\n');
  });
});

describe('stage builds and the #32 CRD patch', () => {
  const request = () => {
    const parsed = parseDeploymentRequest(sample());
    if (!parsed.ok) throw new Error('sample');
    return parsed.request;
  };

  const inputs = { package: 'gs://kf-artifacts/deployments/kf-prod-1/package' };
  const buildOf = (stage: BuildStage) => stageBuild(stage, request(), inputs, { bucket: 'kf-artifacts', toolboxImage: 'toolbox' }, 'kf-prod-1', 1);

  it('never puts the IAP secret in a build; endpoint, which creates the IAP secret, takes it from Secret Manager', () => {
    const { build } = buildOf('endpoint');
    expect(JSON.stringify(build)).not.toContain('GOCSPX');
    expect(build['availableSecrets']).toEqual({ secretManager: [{ versionName: 'projects/acme-ml-prod/secrets/kf-prod-iap-client-secret/versions/latest', env: 'CLIENT_SECRET' }] });
    expect((build['steps'] as any[])[0].secretEnv).toEqual(['CLIENT_SECRET']);
    expect(build['tags']).toEqual(['kfguard', 'deployment-kf-prod-1', 'stage-endpoint', 'attempt-1']);
    for (const stage of ['fetch', 'configure', 'mirror', 'apply'] as const) expect(buildOf(stage).build['availableSecrets']).toBeUndefined();
  });

  it('configure runs kfguard with the request values, quoted, and hands on the package and its manifests', () => {
    const { build, outputs } = buildOf('configure');
    const script = (build['steps'] as any[])[0].args[1] as string;
    expect(script).toContain('kfguard blueprint enable-private kubeflow --set name=kf-prod --set project=acme-ml-prod --set region=us-central1');
    expect(script).toContain('--set email=ml-admin@acme.example --master-cidr 172.16.0.32/28 --node-cidr 10.10.10.0/24 --pod-cidr 10.1.0.0/16 --service-cidr 10.10.11.0/24');
    expect(script).toContain('make -C kubeflow set-values\nmake -C kubeflow hydrate');
    expect(outputs).toEqual({ package: inputs.package, manifests: `${inputs.package}/.build/` });
    expect(buildOf('fetch').outputs).toEqual({ package: inputs.package });
    expect(buildOf('apply').outputs).toEqual({ cluster: 'projects/acme-ml-prod/locations/us-central1/clusters/kf-prod' });
  });

  it('finds the missing ipAllocationPolicy fields and patches exactly those', () => {
    const crd = {
      metadata: { name: CONTAINER_CLUSTER_CRD },
      spec: {
        versions: [
          { name: 'v1beta1', served: true, schema: { openAPIV3Schema: { properties: { spec: { properties: { ipAllocationPolicy: { type: 'object', properties: { clusterIpv4CidrBlock: { type: 'string' }, servicesIpv4CidrBlock: { type: 'string' } } } } } } } } },
          { name: 'v1alpha1', served: false, schema: { openAPIV3Schema: { properties: { spec: { properties: {} } } } } },
        ],
      },
    };
    const gaps = ipAllocationGaps(crd);
    expect(gaps).toEqual([{ version: 'v1beta1', index: 0, missing: 'fields', fields: ['useIpAliases', 'createSubnetwork', 'subnetworkName', 'clusterSecondaryRangeName', 'servicesSecondaryRangeName'] }]);
    expect(ipAllocationPatch(gaps)[0]).toEqual({ op: 'add', path: '/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/ipAllocationPolicy/properties/useIpAliases', value: { type: 'boolean' } });
  });

  it('the workflow runs exactly the stages the code knows, in order', () => {
    const workflow = parseYaml(readFileSync('workflows/deploy-kubeflow.yaml', 'utf8'));
    const init = workflow.main.steps[0].init.assign.find((entry: any) => 'stages' in entry);
    expect(init.stages.map((stage: any) => stage.name)).toEqual([...STAGES]);
  });
});
