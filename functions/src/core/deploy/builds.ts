import { shellArg } from '../firewall/proposal.js';
import type { DeploymentRequest } from './request.js';
import { buildTags, type StageName } from './stages.js';

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

/** The instance directory of the blueprint inside the package (`kpt pkg get .../kubeflow`). */
const PACKAGE_DIR = '/workspace/kubeflow';

function restore(settings: BuildSettings, deploymentId: string): string {
  return `mkdir -p ${PACKAGE_DIR} && gsutil -m -q rsync -r gs://${settings.bucket}/${artifactsPrefix(deploymentId)}/package ${PACKAGE_DIR}`;
}

function save(settings: BuildSettings, deploymentId: string): string {
  return `gsutil -m -q rsync -r -d ${PACKAGE_DIR} gs://${settings.bucket}/${artifactsPrefix(deploymentId)}/package`;
}

/** The kubeconfig contexts the blueprint's Makefile expects. */
function contexts(request: DeploymentRequest): string {
  const mgmtProject = request.managementCluster.project ?? request.project;
  return [
    `gcloud container clusters get-credentials ${shellArg(request.managementCluster.name)} --location=${shellArg(request.managementCluster.location)} --project=${shellArg(mgmtProject)}`,
    `kubectl config rename-context "$(kubectl config current-context)" ${shellArg(request.managementCluster.name)}`,
  ].join(' && ');
}

/** Every value comes from the validated request, and is shell-quoted anyway. */
function setters(request: DeploymentRequest): string {
  const values: [string, string][] = [
    ['name', request.name],
    ['project', request.project],
    ['region', request.region],
    ['zone', request.zone],
    ['location', request.location],
    ['mgmt-ctxt', request.managementCluster.name],
  ];
  return values.map(([key, value]) => `--set ${shellArg(`${key}=${value}`)}`).join(' ');
}

const SCRIPTS: Record<Exclude<StageName, 'preflight' | 'gate' | 'wait-cluster' | 'verify'>, (request: DeploymentRequest, settings: BuildSettings, id: string) => string[]> = {
  // The guide: kpt pkg get the blueprint, then make get-pkg for the Kubeflow manifests.
  fetch: (request, settings, id) => [
    `kpt pkg get ${shellArg(`${request.blueprint.repository}/kubeflow@${request.blueprint.ref}`)} ${PACKAGE_DIR}`,
    `cd ${PACKAGE_DIR} && make get-pkg`,
    save(settings, id),
  ],
  // The guide's hand edits, by kfguard, then the setters and the hydration.
  configure: (request, settings, id) => [
    restore(settings, id),
    `kfguard blueprint enable-private ${PACKAGE_DIR} ${setters(request)}`,
    `cd ${PACKAGE_DIR} && make set-values && make hydrate`,
    save(settings, id),
  ],
  // Private nodes pull only through the restricted VIP: images go to the project's registry first.
  mirror: (_request, settings, id) => [restore(settings, id), `cd ${PACKAGE_DIR} && make hydrate-mirror && gcloud builds submit --no-source --config=.build/cloudbuild.yaml`],
  // make apply without the blocking `kubectl wait ... containercluster` line (the guide says to comment it out).
  apply: (request, settings, id) => [
    restore(settings, id),
    contexts(request),
    `cd ${PACKAGE_DIR} && sed -i '/kubectl .*wait --for=condition=Ready --timeout=600s *containercluster/s/^/#/' Makefile && CLIENT_ID=${shellArg(request.iap.clientId)} make apply`,
  ],
  // kubeflow/gcp-blueprints#36: the endpoint is created from outside the private cluster.
  endpoint: (request, settings, id) => [restore(settings, id), contexts(request), `cd ${PACKAGE_DIR} && make apply-endpoint`],
};

/**
 * The Cloud Build job for a build stage. Secrets never appear in it: the IAP client secret comes
 * from Secret Manager through `availableSecrets` into the one step that needs it.
 */
export function stageBuild(stage: StageName, request: DeploymentRequest, settings: BuildSettings, deploymentId: string, attempt: number): Record<string, unknown> {
  const script = SCRIPTS[stage as keyof typeof SCRIPTS];
  if (!script) throw new Error(`stage ${stage} does not run as a build`);
  const usesSecret = stage === 'apply';
  const build: Record<string, unknown> = {
    steps: [
      {
        id: stage,
        name: settings.toolboxImage,
        entrypoint: 'bash',
        args: ['-ceu', script(request, settings, deploymentId).join('\n')],
        ...(usesSecret ? { secretEnv: ['CLIENT_SECRET'] } : {}),
      },
    ],
    tags: buildTags(deploymentId, stage, attempt),
    timeout: { seconds: stage === 'fetch' || stage === 'configure' || stage === 'endpoint' ? 1800 : 3600 },
    options: { logging: 'CLOUD_LOGGING_ONLY' },
  };
  if (usesSecret) build['availableSecrets'] = { secretManager: [{ versionName: request.iap.clientSecret.secretManager, env: 'CLIENT_SECRET' }] };
  if (settings.serviceAccount) build['serviceAccount'] = settings.serviceAccount;
  return build;
}
