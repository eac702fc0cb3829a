import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { clusterKey, storedModel, type RegisteredCluster } from '../core/pipeline/registry.js';
import { clusterModelFromGke, GkeClusterSchema, withRangeOverrides } from '../core/model/cluster.js';
import { EVENT_FUNCTIONS, FUNCTIONS, isEventFunction, MAX_DELIVERY_ATTEMPTS, TOPICS, topicPath, WORKFLOW_NAME } from '../core/pipeline/names.js';
import { setLogDestination, type LogSink } from '../adapters/logger.js';
import { checkPortSettings, portFor, type LocalServer, type PortSettings } from './ports.js';
import { resetRuntimeConfig } from '../adapters/config.js';
import { closeFirestore, firestore } from '../adapters/firestore/client.js';
import { ClusterRegistry } from '../adapters/firestore/registry.js';
import { DEV_STATE_FILE, type DevState } from '../adapters/local-stack.js';
import { closePublisher } from '../adapters/pubsub/publisher.js';
import { closeContainer } from '../adapters/gcp/container.js';
import { closeEmailTransports } from '../adapters/notify/email.js';
import { forgetSecrets } from '../adapters/secrets.js';
import { ChatRecorder } from './chat-recorder.js';
import { LocalFirestore } from './firestore-emulator.js';
import { HOSTED_FUNCTIONS, hostFunctions, stopFunctions, type FunctionName, type HostedFunction } from './functions-host.js';
import { FakePubSub, type PushPolicy } from './pubsub/fake-pubsub.js';
import { FakeGke } from './fakes/gke.js';
import { FakeGoogleRest } from './fakes/google-rest.js';
import { FakeKubernetes, type KubeObject } from './fakes/kubernetes.js';
import { FakeLogging } from './fakes/logging.js';
import { FakeCloudBuild } from './fakes/cloud-build.js';
import { FakeStorage } from './fakes/storage.js';
import { FakeWorkflows } from './workflows/executions-server.js';
import { scenarioBuilds } from './deploy-builds.js';
import { packageRoot } from '../adapters/package-root.js';
import { closeWorkflows } from '../adapters/gcp/workflows.js';
import { closeCloudBuild } from '../adapters/gcp/cloud-build.js';
import type { LoadedScenario } from './scenario.js';
import { SmtpRecorder } from './smtp-recorder.js';

export const LOCAL_PROJECT = 'kfguard-local';
/** The Chat webhook the local stack configures; its origin is rerouted to the recorder. */
export const LOCAL_CHAT_WEBHOOK = 'https://chat.googleapis.com/v1/spaces/AAAAkfguard/messages?key=local-key&token=local-token';
export const LOCAL_EMAIL_TO = 'platform-team@example.com';
export const LOCAL_BUCKET = 'kfguard-local-artifacts';
const WORKFLOW_LOCATION = 'us-central1';

export interface DevStackOptions {
  projectId?: string;
  scenario?: LoadedScenario;
  functions?: readonly FunctionName[];
  push?: Partial<PushPolicy>;
  /** Cloud Scheduler stand-in: a sweep tick this often; 0 disables it. */
  sweepIntervalMs?: number;
  /** Where to write `.kfguard/dev.json`; nothing is written when absent. */
  stateDir?: string;
  /** Extra environment for the functions (KFGUARD_RESOLVE_AFTER_MINUTES...). */
  env?: Record<string, string>;
  /** Workflow pauses (polls, retry backoff) run this much faster than written: 1 is real time. */
  workflowTimeScale?: number;
  /** Where the servers listen (see ports.ts); by default each takes a free port. */
  ports?: PortSettings;
  /** What the stack is doing: startup and the workflow's own log lines. */
  log?: (line: string) => void;
  /** One line per Pub/Sub delivery, retry and dead-letter: what `kfguard dev up` shows, `npm start` does not. */
  traffic?: (line: string) => void;
  /** Where the functions' structured log lines go instead of stdout and stderr. */
  functionLogs?: LogSink;
}


/**
 * The whole system on one machine: the Firestore emulator, a local Pub/Sub that pushes to the
 * functions as Eventarc does, the functions under functions-framework, fake GKE, Compute, DNS,
 * Kubernetes and Logging APIs, a Chat recorder, an SMTP server and a Cloud Scheduler stand-in.
 */
export class DevStack {
  private scheduler: NodeJS.Timeout | undefined;
  private statePath: string | undefined;

  private constructor(
    readonly projectId: string,
    readonly firestore: LocalFirestore | undefined,
    readonly firestoreHost: string,
    readonly pubsub: FakePubSub,
    readonly gke: FakeGke,
    readonly rest: FakeGoogleRest,
    readonly kubernetes: FakeKubernetes,
    readonly logging: FakeLogging,
    readonly chat: ChatRecorder,
    readonly smtp: SmtpRecorder,
    readonly storage: FakeStorage,
    readonly cloudBuild: FakeCloudBuild,
    readonly workflows: FakeWorkflows,
    readonly functions: HostedFunction[],
    readonly env: Record<string, string>,
  ) {}

  static async start(options: DevStackOptions = {}): Promise<DevStack> {
    const log = options.log ?? (() => undefined);
    const projectId = options.projectId ?? LOCAL_PROJECT;
    const ports = options.ports ?? {};
    checkPortSettings(ports);
    const port = (server: LocalServer) => portFor(ports, server);
    const external = process.env['FIRESTORE_EMULATOR_HOST'];
    log(external ? `Firestore: using the emulator at ${external}` : 'Firestore: starting the emulator');
    const firestoreServer = external ? undefined : await LocalFirestore.start({ port: port('firestore') });
    const firestoreHost = external ?? firestoreServer!.host;
    log('Pub/Sub, GKE, Compute, DNS, Kubernetes and Logging: starting local servers');
    const [pubsub, gke, rest, kubernetes, logging, chat, smtp] = await Promise.all([
      FakePubSub.start({ push: options.push, log: (line) => options.traffic?.(`pubsub: ${line}`), port: port('pubsub'), adminPort: port('pubsubAdmin') }),
      FakeGke.start({ port: port('gke') }),
      FakeGoogleRest.start({ port: port('computeAndDns') }),
      FakeKubernetes.start({ port: port('kubernetes') }),
      FakeLogging.start({ port: port('logging') }),
      ChatRecorder.start(port('chat')),
      SmtpRecorder.start(port('smtp')),
    ]);
    const storage = await FakeStorage.start({ port: port('storage') });
    const publishTo = (topic: string, messages: { data: Buffer; attributes?: Record<string, string> }[]) => pubsub.publish(topic, messages);
    const cloudBuild = await FakeCloudBuild.start({
      port: port('cloudBuild'),
      storage,
      behaviour: scenarioBuilds(options.scenario ?? { deploy: { hydrated: [], builds: {} }, hydratedFiles: [] }, LOCAL_BUCKET),
      // Cloud Build publishes every status change to the cloud-builds topic of its project.
      notify: (message) => void publishTo(topicPath(projectId, TOPICS.buildNotifications), [message]),
    });
    const workflows = await FakeWorkflows.start({
      port: port('workflows'),
      callbackPort: port('workflowCallbacks'),
      workflows: { [WORKFLOW_NAME]: readFileSync(join(packageRoot(), 'workflows', 'deploy-kubeflow.yaml'), 'utf8') },
      connectors: {
        publish: async (topic, messages) => publishTo(topic, messages.map((message) => ({ data: Buffer.from(message.data, 'base64'), ...(message.attributes ? { attributes: message.attributes } : {}) }))),
        env: { GOOGLE_CLOUD_PROJECT_ID: projectId, GOOGLE_CLOUD_LOCATION: WORKFLOW_LOCATION, GOOGLE_CLOUD_WORKFLOW_NAME: WORKFLOW_NAME },
        log: (entry) => log(`workflow: ${entry.text ?? JSON.stringify(entry.json)}`),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms * (options.workflowTimeScale ?? 1)).unref()),
      },
    });
    const env: Record<string, string> = {
      KFGUARD_PROJECT: projectId,
      METADATA_SERVER_DETECTION: 'none',
      FIRESTORE_EMULATOR_HOST: firestoreHost,
      PUBSUB_EMULATOR_HOST: pubsub.emulatorHost,
      KFGUARD_CONTAINER_ENDPOINT: `127.0.0.1:${gke.port}`,
      KFGUARD_LOGGING_ENDPOINT: `127.0.0.1:${logging.port}`,
      KFGUARD_COMPUTE_URL: rest.baseUrl,
      KFGUARD_DNS_URL: rest.baseUrl,
      KFGUARD_KUBE_API_URL: kubernetes.url,
      KFGUARD_CHAT_API_ORIGIN: chat.url,
      KFGUARD_CHAT_WEBHOOK_SECRET: 'env:KFGUARD_LOCAL_CHAT_WEBHOOK',
      KFGUARD_LOCAL_CHAT_WEBHOOK: LOCAL_CHAT_WEBHOOK,
      KFGUARD_SMTP_URL_SECRET: 'env:KFGUARD_LOCAL_SMTP_URL',
      KFGUARD_LOCAL_SMTP_URL: smtp.url,
      KFGUARD_EMAIL_FROM: 'kfguard <kfguard@localhost>',
      KFGUARD_EMAIL_TO: LOCAL_EMAIL_TO,
      KFGUARD_REGION: WORKFLOW_LOCATION,
      KFGUARD_WORKFLOW: WORKFLOW_NAME,
      KFGUARD_WORKFLOWS_ENDPOINT: `127.0.0.1:${workflows.port}`,
      KFGUARD_CLOUDBUILD_ENDPOINT: `127.0.0.1:${cloudBuild.port}`,
      KFGUARD_STORAGE_URL: storage.baseUrl,
      KFGUARD_ARTIFACTS_BUCKET: LOCAL_BUCKET,
      KFGUARD_TOOLBOX_IMAGE: 'us-docker.pkg.dev/kfguard-local/kfguard/toolbox:latest',
      ...options.env,
    };
    Object.assign(process.env, env);
    resetRuntimeConfig();
    if (options.functionLogs) setLogDestination(options.functionLogs);
    const names = options.functions ?? HOSTED_FUNCTIONS;
    log(`Functions: serving ${names.join(', ')}`);
    const functions = await hostFunctions(names, Object.fromEntries(names.map((name) => [name, port(name)])));
    const dashboard = functions.find((fn) => fn.name === 'dashboard');
    // Notifications link to the dashboard, as KFGUARD_DASHBOARD_URL does in production.
    if (dashboard && !env['KFGUARD_DASHBOARD_URL']) {
      env['KFGUARD_DASHBOARD_URL'] = dashboard.url;
      process.env['KFGUARD_DASHBOARD_URL'] = dashboard.url;
      resetRuntimeConfig();
    }
    const stack = new DevStack(projectId, firestoreServer, firestoreHost, pubsub, gke, rest, kubernetes, logging, chat, smtp, storage, cloudBuild, workflows, functions, env);
    stack.wireTopics(names);
    if (options.scenario) await stack.loadScenario(options.scenario);
    if (options.stateDir) stack.writeState(options.stateDir);
    if (options.sweepIntervalMs) {
      stack.scheduler = setInterval(() => stack.tick(), options.sweepIntervalMs);
      stack.scheduler.unref();
    }
    return stack;
  }

  /** Topics and Eventarc-style push subscriptions, with the dead-letter topic Terraform declares. */
  private wireTopics(names: readonly FunctionName[]): void {
    for (const topic of Object.values(TOPICS)) this.pubsub.createTopic(topicPath(this.projectId, topic));
    this.pubsub.createPullSubscription(`projects/${this.projectId}/subscriptions/${TOPICS.deadLetter}`, topicPath(this.projectId, TOPICS.deadLetter));
    // As Terraform deploys them (EVENT_FUNCTIONS): one instance serving one event at a time
    // for the notifier and the sweep, bounded fan-out for the others.
    for (const name of names.filter(isEventFunction)) {
      const spec = EVENT_FUNCTIONS[name];
      for (const topic of spec.topics) {
        this.pubsub.createPushSubscription(`projects/${this.projectId}/subscriptions/kfguard-${name}-${topic}`, {
          topic: topicPath(this.projectId, topic),
          pushEndpoint: this.functionUrl(name),
          deadLetterTopic: topicPath(this.projectId, TOPICS.deadLetter),
          maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS,
          maxInFlight: spec.maxInstances * spec.concurrency,
        });
      }
    }
  }

  functionUrl(name: FunctionName): string {
    const hosted = this.functions.find((fn) => fn.name === name);
    if (!hosted) throw new Error(`${name} is not served by this stack`);
    return hosted.url;
  }

  /** Points every fake at the scenario and registers its clusters, as `kfguard clusters add` would. */
  async loadScenario(scenario: LoadedScenario): Promise<void> {
    this.gke.setClusters(scenario.clusters.map((cluster) => cluster.gke));
    this.gke.setOperations(scenario.operations);
    this.rest.setCompute(scenario.project, scenario.compute);
    this.rest.setDns(scenario.project, scenario.dns);
    this.kubernetes.setObjects(scenario.kubernetesObjects as unknown as KubeObject[]);
    this.logging.setEntries(scenario.logging);
    this.cloudBuild.setBehaviour(scenarioBuilds(scenario, LOCAL_BUCKET));
    const registry = new ClusterRegistry(firestore(), 0);
    for (const cluster of scenario.clusters) {
      if (!cluster.register) continue;
      const gke = GkeClusterSchema.parse(cluster.gke);
      const model = withRangeOverrides({ ...clusterModelFromGke(gke), project: scenario.project, location: cluster.register.location }, { nodeCidrs: cluster.register.nodeCidr ? [cluster.register.nodeCidr] : undefined });
      const registered: RegisteredCluster = {
        key: clusterKey(scenario.project, cluster.register.location, gke.name),
        project: scenario.project,
        location: cluster.register.location,
        name: gke.name,
        model: storedModel(model),
        registeredAt: new Date().toISOString(),
      };
      if (cluster.register.managementNamespace) registered.management = { namespace: cluster.register.managementNamespace };
      await registry.put(registered);
    }
  }

  /** What Cloud Scheduler does every few minutes: a tick on the sweep topic. */
  tick(): string[] {
    return this.pubsub.publish(topicPath(this.projectId, TOPICS.sweepTicks), [{ data: Buffer.from(JSON.stringify({ scheduledAt: new Date().toISOString() })), attributes: { source: 'cloud-scheduler' } }]);
  }

  publishJson(topic: string, payload: unknown, attributes: Record<string, string> = {}): string[] {
    return this.pubsub.publish(topicPath(this.projectId, topic), [{ data: Buffer.from(JSON.stringify(payload)), attributes }]);
  }

  state(): DevState {
    return {
      version: 1,
      pid: process.pid,
      projectId: this.projectId,
      startedAt: new Date().toISOString(),
      env: Object.fromEntries(Object.entries(this.env).filter(([key]) => !key.startsWith('KFGUARD_LOCAL_'))),
      endpoints: {
        firestore: this.firestoreHost,
        pubsub: this.pubsub.emulatorHost,
        pubsubAdmin: this.pubsub.adminUrl,
        functions: Object.fromEntries(this.functions.map((fn) => [FUNCTIONS[fn.name], fn.url])),
        gke: `127.0.0.1:${this.gke.port}`,
        compute: this.rest.baseUrl,
        kubernetes: this.kubernetes.url,
        logging: `127.0.0.1:${this.logging.port}`,
        chat: this.chat.url,
        smtp: `127.0.0.1:${this.smtp.port}`,
        workflows: `127.0.0.1:${this.workflows.port}`,
        cloudBuild: `127.0.0.1:${this.cloudBuild.port}`,
        storage: this.storage.baseUrl,
      },
    };
  }

  private writeState(dir: string): void {
    const path = join(dir, DEV_STATE_FILE);
    mkdirSync(join(dir, '.kfguard'), { recursive: true });
    writeFileSync(`${path}.tmp`, `${JSON.stringify(this.state(), null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
    this.statePath = path;
  }

  async stop(): Promise<void> {
    if (this.scheduler) clearInterval(this.scheduler);
    if (this.statePath) rmSync(this.statePath, { force: true });
    await stopFunctions(this.functions);
    setLogDestination(undefined);
    await Promise.all([closePublisher(), closeFirestore(), closeContainer(), closeWorkflows(), closeCloudBuild()]);
    closeEmailTransports();
    forgetSecrets();
    resetRuntimeConfig();
    await this.pubsub.stop();
    await this.workflows.stop();
    await this.cloudBuild.stop();
    await Promise.all([this.gke.stop(), this.rest.stop(), this.kubernetes.stop(), this.logging.stop(), this.chat.stop(), this.smtp.stop(), this.storage.stop()]);
    this.firestore?.stop();
  }
}
