import { shellArg } from '../firewall/proposal.js';
import type { DeploymentRequest } from './request.js';
import { buildTags, clusterResourceName, type BuildStage } from './stages.js';

/** Where a deployment's package and hydrated manifests live between stages. */
export function artifactsPrefix(deploymentId: string): string {
  return `deployments/${deploymentId}`;
}

export interface BuildSettings {
  bucket: string;
  /** An image with kpt, kustomize, make, yq, kubectl, gcloud, kfctl and the kfguard CLI (infra/toolbox). */
  toolboxImage: string;
  serviceAccount?: string;
}

type Inputs = Readonly<Record<string, string>>;

/** The blueprint's kubeflow directory, relative to /workspace where Cloud Build runs each step. */
const PACKAGE_DIR = 'kubeflow';

/**
 * Source of the blueprint's image replication build: apply-mirror submits it with the
 * configuration hydrate-mirror writes to .build/cloudbuild.yaml.
 */
const MIRROR_SOURCE = 'gs://kubeflow-examples/image-replicate/replicate-context.tar.gz';

function restore(from: string): string {
  return `mkdir -p ${PACKAGE_DIR} && gsutil -m -q rsync -r ${shellArg(from)} ${PACKAGE_DIR}`;
}

function save(to: string): string {
  return `gsutil -m -q rsync -r -d ${PACKAGE_DIR} ${shellArg(to)}`;
}

/**
 * make in the package. `-o` takes targets as already made: the in-cluster applies depend on
 * `hydrate`, which would first delete and re-render .build/, so what gate checked would not be
 * what gets applied. `-s` keeps make from echoing recipes, one of which expands the IAP secret.
 */
function make(targets: readonly string[], options: { done?: readonly string[]; silent?: boolean } = {}): string {
  return ['make', '-C', PACKAGE_DIR, ...(options.silent ? ['-s'] : []), ...(options.done ?? []).flatMap((target) => ['-o', target]), ...targets].join(' ');
}

/**
 * Credentials for one cluster, in a kubeconfig context with the name the Makefile passes to
 * `--context`. The last one fetched is also the current context, which the recipes that pipe
 * into a bare `kubectl apply -f -` (iap-secret) use.
 */
function credentials(cluster: { project: string; location: string; name: string }, context: string): string {
  return [
    `gcloud container clusters get-credentials ${shellArg(cluster.name)} --location=${shellArg(cluster.location)} --project=${shellArg(cluster.project)}`,
    `kubectl config rename-context "$(kubectl config current-context)" ${shellArg(context)}`,
  ].join(' && ');
}

function managementCredentials(request: DeploymentRequest): string {
  const management = request.managementCluster;
  // MGMTCTXT is the Kptfile's mgmt-ctxt setter, which configure sets to the management cluster's name.
  return credentials({ project: management.project ?? request.project, location: management.location, name: management.name }, management.name);
}

/** KFCTXT is the Kubeflow name. */
function kubeflowCredentials(request: DeploymentRequest): string {
  return credentials({ project: request.project, location: request.location, name: request.name }, request.name);
}

/** Every value comes from the validated request, and is shell-quoted anyway. */
function enablePrivateArgs(request: DeploymentRequest): string {
  const values: [string, string | undefined][] = [
    ['name', request.name],
    ['project', request.project],
    ['region', request.region],
    ['zone', request.zone],
    ['location', request.location],
    ['mgmt-ctxt', request.managementCluster.name],
    ['email', request.adminEmail],
  ];
  const sets = values.flatMap(([key, value]) => (value === undefined ? [] : [`--set ${shellArg(`${key}=${value}`)}`]));
  const { network } = request;
  const ranges = [`--master-cidr ${network.controlPlaneCidr.text}`, `--node-cidr ${network.nodeCidr.text}`, `--pod-cidr ${network.podCidr.text}`, `--service-cidr ${network.serviceCidr.text}`];
  return [...sets, ...ranges].join(' ');
}

interface StageScript {
  lines: string[];
  /** What the stage hands on to later ones once the build succeeds. */
  outputs: Record<string, string>;
  /** Steps that need the IAP OAuth client secret from Secret Manager. */
  secret: boolean;
  timeoutSeconds: number;
}

/** `inputs` holds every STAGE_INPUTS entry of the stage: stageRunner checks before any handler runs. */
type ScriptOf = (request: DeploymentRequest, inputs: Inputs, settings: BuildSettings, deploymentId: string) => StageScript;

const SCRIPTS: Readonly<Record<BuildStage, ScriptOf>> = {
  // The guide: kpt pkg get the blueprint, then make get-pkg for the Kubeflow manifests.
  fetch: (request, _inputs, settings, id) => {
    const packageUrl = `gs://${settings.bucket}/${artifactsPrefix(id)}/package`;
    return {
      lines: [`kpt pkg get ${shellArg(`${request.blueprint.repository}/kubeflow@${request.blueprint.ref}`)} ${PACKAGE_DIR}`, make(['get-pkg']), save(packageUrl)],
      outputs: { package: packageUrl },
      secret: false,
      timeoutSeconds: 1800,
    };
  },
  // The guide's hand edits, by kfguard, then the setters and the hydration. Two make runs: the
  // Makefile reads the setters (PRIVATE_GKE...) from the Kptfile when it starts.
  configure: (request, inputs) => ({
    lines: [restore(inputs['package']!), `kfguard blueprint enable-private ${PACKAGE_DIR} ${enablePrivateArgs(request)}`, make(['set-values']), make(['hydrate']), save(inputs['package']!)],
    outputs: { package: inputs['package']!, manifests: `${inputs['package']!}/.build/` },
    secret: false,
    timeoutSeconds: 1800,
  }),
  // Private nodes pull only through the restricted VIP: images go to the project's registry
  // first. This is apply-mirror without --async, so the stage ends when the mirror has.
  mirror: (request, inputs) => ({
    lines: [
      restore(inputs['package']!),
      `test -f ${PACKAGE_DIR}/.build/cloudbuild.yaml || { echo "no .build/cloudbuild.yaml: configure's make hydrate runs hydrate-mirror when gke.private is true" >&2; exit 1; }`,
      `gcloud builds submit ${MIRROR_SOURCE} --project=${shellArg(request.project)} --config=${PACKAGE_DIR}/.build/cloudbuild.yaml`,
    ],
    outputs: {},
    secret: false,
    timeoutSeconds: 3600,
  }),
  // The management-cluster half of make apply: the Config Connector resources, which create the
  // cluster. Not the apply target itself: it blocks in wait-gcp (wait-cluster does that, with a
  // diagnosis) and, for private GKE, runs apply-mirror and apply-endpoint, which have their stages.
  apply: (request, inputs) => ({
    lines: [restore(inputs['package']!), managementCredentials(request), make(['check-name', 'apply-gcp'], { done: ['hydrate'] })],
    outputs: { cluster: clusterResourceName({ project: request.project, location: request.location, name: request.name }) },
    secret: false,
    timeoutSeconds: 1800,
  }),
  // The Kubeflow-cluster half of make apply, once wait-cluster has seen the cluster Ready, and
  // the cloud endpoint from outside the private cluster (kubeflow/gcp-blueprints#36).
  endpoint: (request, inputs) => ({
    lines: [
      restore(inputs['package']!),
      managementCredentials(request),
      kubeflowCredentials(request),
      make(['apply-asm', 'apply-kubeflow'], { done: ['hydrate'] }),
      `CLIENT_ID=${shellArg(request.iap.clientId)} ${make(['iap-secret'], { silent: true })}`,
      make(['apply-endpoint']),
      // What make apply does last: restart the pods that cache IAP and backend state
      // (kubeflow/gcp-blueprints#14, #160).
      `kubectl --context=${shellArg(request.name)} -n istio-system delete pods -l service=iap-enabler`,
      `kubectl --context=${shellArg(request.name)} -n istio-system delete pods -l service=backend-updater`,
    ],
    outputs: {},
    secret: true,
    timeoutSeconds: 3600,
  }),
};

/**
 * The Cloud Build job for a build stage and what the stage hands on when it succeeds. Secrets
 * never appear in it: the IAP client secret comes from Secret Manager through `availableSecrets`
 * into the one step that needs it.
 */
export function stageBuild(
  stage: BuildStage,
  request: DeploymentRequest,
  inputs: Inputs,
  settings: BuildSettings,
  deploymentId: string,
  attempt: number,
): { build: Record<string, unknown>; outputs: Record<string, string> } {
  const script = SCRIPTS[stage](request, inputs, settings, deploymentId);
  const build: Record<string, unknown> = {
    steps: [
      {
        id: stage,
        name: settings.toolboxImage,
        entrypoint: 'bash',
        args: ['-ceu', script.lines.join('\n')],
        ...(script.secret ? { secretEnv: ['CLIENT_SECRET'] } : {}),
      },
    ],
    tags: buildTags(deploymentId, stage, attempt),
    timeout: { seconds: script.timeoutSeconds },
    options: { logging: 'CLOUD_LOGGING_ONLY' },
  };
  if (script.secret) build['availableSecrets'] = { secretManager: [{ versionName: request.iap.clientSecret.secretManager, env: 'CLIENT_SECRET' }] };
  if (settings.serviceAccount) build['serviceAccount'] = settings.serviceAccount;
  return { build, outputs: script.outputs };
}
