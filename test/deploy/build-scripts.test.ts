import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { stageBuild } from '../../functions/src/core/deploy/builds.js';
import type { BuildStage } from '../../functions/src/core/deploy/stages.js';
import { parseDeploymentRequest, type DeploymentRequest } from '../../functions/src/core/deploy/request.js';
import { fixturePath } from '../helpers/fixtures.js';

/**
 * Runs the build stages' scripts as Cloud Build would (bash -ceu in /workspace) against a copy of
 * the blueprint fixture, with real make and the real kfguard CLI, and stand-ins for the cloud
 * tools that record how they were called. What the scripts make the Makefile do is what is checked.
 */
const SECRET = 'test-only-iap-client-secret-value';
const SETTINGS = { bucket: 'kf-artifacts', toolboxImage: 'toolbox' };
const DEPLOYMENT = 'kf-scripts';

/** The cloud tools, recording their arguments; kpt and yq read and write Kptfile setters as the real ones do. */
const STUB = `#!/usr/bin/env bash
tool=$(basename "$0")
printf '%s %s\\n' "$tool" "$*" >> "$STUB_LOG"
case "$tool $1 $2" in
  "kpt cfg set")
    if [ -f "$3/Kptfile" ]; then
      awk -v setter="io.k8s.cli.setters.$4:" -v value="$5" '$1 == setter { found = 1 } found && $1 == "value:" { sub(/value:.*/, "value: \\"" value "\\""); found = 0 } { print }' "$3/Kptfile" > "$3/Kptfile.new" && mv "$3/Kptfile.new" "$3/Kptfile"
    fi ;;
  "yq r "*)
    setter=$(printf '%s' "$3" | sed -E 's/.*"io\\.k8s\\.cli\\.setters\\.([^"]+)".*/\\1/')
    awk -v setter="io.k8s.cli.setters.$setter:" '$1 == setter { found = 1 } found && $1 == "value:" { v = $2; gsub(/"/, "", v); print v; exit }' "$2" ;;
  "kfctl alpha mirror") echo 'steps: []' > cloudbuild.yaml ;;
  "kubectl config current-context") echo gke_context ;;
esac
exit 0
`;

let root: string;
let stubs: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kfguard-scripts-'));
  stubs = join(root, 'bin');
  mkdirSync(stubs);
  for (const tool of ['kubectl', 'gcloud', 'gsutil', 'kpt', 'kustomize', 'istioctl', 'kfctl', 'yq']) {
    writeFileSync(join(stubs, tool), STUB);
    chmodSync(join(stubs, tool), 0o755);
  }
  writeFileSync(join(stubs, 'kfguard'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${resolve('bin/kfguard.js')}" "$@"\n`);
  chmodSync(join(stubs, 'kfguard'), 0o755);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function request(changes: Record<string, unknown> = {}): DeploymentRequest {
  const sample = JSON.parse(readFileSync('functions/samples/deployment-request.json', 'utf8'));
  const parsed = parseDeploymentRequest({ ...sample, id: DEPLOYMENT, project: 'kf-test-project', name: 'kf-test', managementCluster: { name: 'kf-mgmt', location: 'us-central1' }, ...changes });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.request;
}

/** A fresh /workspace holding the fetched package. */
function workspace(): string {
  const dir = mkdtempSync(join(root, 'workspace-'));
  cpSync(fixturePath('blueprint/kubeflow'), join(dir, 'kubeflow'), { recursive: true });
  return dir;
}

const INPUTS = { package: `gs://kf-artifacts/deployments/${DEPLOYMENT}/package`, manifests: `gs://kf-artifacts/deployments/${DEPLOYMENT}/package/.build/`, cluster: 'projects/kf-test-project/locations/us-central1/clusters/kf-test' };

/** Runs one stage's build step; returns its exit status, its output (what Cloud Build logs) and the tools' calls. */
function runStage(dir: string, stage: BuildStage, deploymentRequest = request()): { status: number | null; output: string; calls: string[] } {
  const { build } = stageBuild(stage, deploymentRequest, INPUTS, SETTINGS, DEPLOYMENT, 1);
  const [step] = build['steps'] as { entrypoint: string; args: string[]; secretEnv?: string[] }[];
  const log = join(dir, `${stage}.calls`);
  writeFileSync(log, '');
  const secrets = step!.secretEnv?.includes('CLIENT_SECRET') ? { CLIENT_SECRET: SECRET } : {};
  const run = spawnSync(step!.entrypoint, step!.args, { cwd: dir, env: { PATH: `${stubs}:${process.env['PATH']}`, HOME: dir, STUB_LOG: log, ...secrets }, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`, calls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('the build stages run the blueprint Makefile as the guide says', () => {
  let dir: string;
  beforeAll(() => {
    dir = workspace();
  });

  it('configure: the edits, set-values with every placeholder filled, and hydrate with the mirror', () => {
    const configure = runStage(dir, 'configure');
    expect(configure.output).not.toMatch(/syntax error/);
    expect(configure.status).toBe(0);
    const setValues = configure.calls.filter((call) => call.startsWith('kpt cfg set'));
    expect(setValues).toContain('kpt cfg set ./instance email ml-admin@acme.example');
    expect(setValues).toContain('kpt cfg set ./instance mgmt-ctxt kf-mgmt');
    expect(setValues).toContain('kpt cfg set ./instance gke.private true');
    expect(setValues.filter((call) => /[<>]/.test(call))).toEqual([]);
    const kptfile = parseYaml(readFileSync(join(dir, 'kubeflow/instance/Kptfile'), 'utf8'));
    expect(kptfile.openAPI.definitions['io.k8s.cli.setters.name']['x-k8s-cli'].setter.value).toBe('kf-test');
    // gke.private true, read by the second make run: hydrate renders the image mirror too.
    expect(configure.calls).toContainEqual(expect.stringMatching(/^kfctl alpha mirror build /));
    expect(existsSync(join(dir, 'kubeflow/.build/cloudbuild.yaml'))).toBe(true);
    const patch = readFileSync(join(dir, 'kubeflow/upstream/manifests/gcp/v2/privateGKE/cluster-private-patch.yaml'), 'utf8');
    expect(patch).toContain('masterIpv4CidrBlock: 172.16.0.32/28');
  });

  it('mirror: the mirror build submitted and waited for, not --async', () => {
    const mirror = runStage(dir, 'mirror');
    expect(mirror.status).toBe(0);
    expect(mirror.calls.filter((call) => call.startsWith('gcloud builds submit'))).toEqual(['gcloud builds submit gs://kubeflow-examples/image-replicate/replicate-context.tar.gz --project=kf-test-project --config=kubeflow/.build/cloudbuild.yaml']);
  });

  it('apply: the Config Connector resources on the management cluster, and nothing that blocks or belongs to other stages', () => {
    const apply = runStage(dir, 'apply');
    expect(apply.status).toBe(0);
    expect(apply.calls).toContain('gcloud container clusters get-credentials kf-mgmt --location=us-central1 --project=kf-test-project');
    expect(apply.calls).toContain('kubectl config rename-context gke_context kf-mgmt');
    expect(apply.calls).toContain('kubectl --context=kf-mgmt apply -f ./.build/gcp_config');
    expect(apply.calls.filter((call) => / wait /.test(call))).toEqual([]);
    expect(apply.calls.filter((call) => /builds submit|^kfctl|--context=kf-test /.test(call))).toEqual([]);
    // What configure rendered and gate checked is what is applied: hydrate does not run again.
    expect(apply.calls.filter((call) => call.startsWith('kustomize build'))).toEqual([]);
    expect(existsSync(join(dir, 'kubeflow/.build/cloudbuild.yaml'))).toBe(true);
  });

  it('endpoint: the Kubeflow-cluster applies in its context, the IAP secret never in the log, then the endpoint from outside', () => {
    const endpoint = runStage(dir, 'endpoint');
    expect(endpoint.status).toBe(0);
    expect(endpoint.calls).toContain('gcloud container clusters get-credentials kf-test --location=us-central1 --project=kf-test-project');
    expect(endpoint.calls).toContain('kubectl config rename-context gke_context kf-test');
    expect(endpoint.calls).toContain('kubectl --context=kf-test apply --recursive=true -f ./.build/istio/Base');
    expect(endpoint.calls).toContain('kubectl --context=kf-test apply -f ./.build/kubeflow-apps');
    expect(endpoint.calls).toContainEqual(expect.stringMatching(/^kubectl --context=kf-test -n istio-system create secret generic kubeflow-oauth --from-literal=client_id=123456789012-kfprodiapclient\.apps\.googleusercontent\.com --from-literal=client_secret=test-only/));
    expect(endpoint.calls).toContain('kfctl apply --context=kf-test -f .build/iap-ingress/ctl.isla.solutions_v1_cloudendpoint_kf-test.yaml');
    expect(endpoint.calls.indexOf('kfctl apply --context=kf-test -f .build/iap-ingress/ctl.isla.solutions_v1_cloudendpoint_kf-test.yaml')).toBeGreaterThan(endpoint.calls.findIndex((call) => call.includes('create secret')));
    expect(endpoint.calls.filter((call) => /builds submit|kustomize build/.test(call))).toEqual([]);
    expect(endpoint.output).not.toContain(SECRET);
  });

  it('configure refuses a Makefile placeholder the request leaves open, naming it, before anything is built', () => {
    const fresh = workspace();
    const withoutEmail = request({ adminEmail: undefined });
    const configure = runStage(fresh, 'configure', withoutEmail);
    expect(configure.status).not.toBe(0);
    expect(configure.output).toMatch(/set-values still has placeholders: email \(<YOUR_EMAIL_ADDRESS>\)/);
    expect(configure.calls.filter((call) => call.startsWith('kpt cfg set'))).toEqual([]);
  });

  it("configure writes the request's ranges into the private-GKE package before hydration", () => {
    const fresh = workspace();
    const configure = runStage(fresh, 'configure', request({ network: { controlPlaneCidr: '172.16.0.48/28', nodeCidr: '10.20.0.0/22', podCidr: '10.24.0.0/14', serviceCidr: '10.20.8.0/22' } }));
    expect(configure.status).toBe(0);
    const privateGke = (file: string) => readFileSync(join(fresh, 'kubeflow/upstream/manifests/gcp/v2/privateGKE', file), 'utf8');
    expect(privateGke('cluster-private-patch.yaml')).toContain('    # The firewall rules that name this range must change with it.\n    masterIpv4CidrBlock: 172.16.0.48/28\n');
    expect(privateGke('compute-network.yaml')).toContain('  ipCidrRange: 10.20.0.0/22 # the nodes\n');
    expect(parseYaml(privateGke('compute-network.yaml').split('---\n')[1]!).spec.secondaryIpRange).toEqual([
      { ipCidrRange: '10.20.8.0/22', rangeName: 'services' },
      { ipCidrRange: '10.24.0.0/14', rangeName: 'pods' },
    ]);
    const firewall = privateGke('firewall.yaml');
    expect(firewall.match(/172\.16\.0\.48\/28/g)).toHaveLength(2);
    expect(firewall).not.toContain('172.16.0.32/28');
    expect(firewall).toContain('  # Keep in sync with masterIpv4CidrBlock.\n  - 172.16.0.48/28\n');
  });
});
