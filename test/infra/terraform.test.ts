import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS, EVENT_FUNCTIONS, FUNCTIONS, HTTP_FUNCTIONS, SNAPSHOT_PARTS, TOPICS, topicPath, WORKFLOW_NAME } from '../../functions/src/core/pipeline/names.js';
import { LOG_SINK_FILTER } from '../../functions/src/core/pipeline/sink-filter.js';
import { renderTerraformNames } from '../../functions/src/core/pipeline/terraform-names.js';
import { parseDeploymentRequest } from '../../functions/src/core/deploy/request.js';
import { ENV_VARIABLES } from '../../functions/src/adapters/config.js';
import { workflowArgument } from '../../functions/src/adapters/pipeline/deploy-trigger.js';

/**
 * Terraform cannot run here (no provider downloads), so these checks read the HCL and hold it to
 * the code: names, topics, the sink filter, entry points, secrets, environment, roles.
 */
const MODULE = 'infra/modules/kfguard';
const EXAMPLE = 'infra/examples/private-kubeflow';

type Block = Record<string, any>;
interface Terraform {
  text: string;
  resources: Record<string, Record<string, Block>>;
  locals: Record<string, any>;
  variables: Record<string, Block>;
}

async function loadTerraform(dir: string): Promise<Terraform> {
  const files = readdirSync(dir).filter((file) => file.endsWith('.tf'));
  const result: Terraform = { text: '', resources: {}, locals: {}, variables: {} };
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    result.text += text;
    const parsed = (await parseHcl(file, text)) as Block;
    for (const [type, byName] of Object.entries(parsed['resource'] ?? {})) {
      for (const [name, [block]] of Object.entries(byName as Record<string, Block[]>)) (result.resources[type] ??= {})[name] = block!;
    }
    for (const locals of parsed['locals'] ?? []) Object.assign(result.locals, locals);
    for (const [name, [block]] of Object.entries((parsed['variable'] ?? {}) as Record<string, Block[]>)) result.variables[name] = block!;
  }
  return result;
}

let tf: Terraform;
let example: Terraform;
const names = JSON.parse(readFileSync(join(MODULE, 'names.tf.json'), 'utf8')).locals.kfguard;
beforeAll(async () => {
  tf = await loadTerraform(MODULE);
  example = await loadTerraform(EXAMPLE);
});

const resource = (type: string, name: string): Block => {
  const block = tf.resources[type]?.[name];
  if (!block) throw new Error(`${MODULE} declares no ${type}.${name}`);
  return block;
};
/** Keys used as `TYPE.NAME["KEY"]` anywhere in the module. */
const keysUsed = (reference: string): string[] => [...tf.text.matchAll(new RegExp(`${reference.replaceAll('.', '\\.')}\\["([^"]+)"\\]`, 'g'))].map((match) => match[1]!);
const unique = (values: string[]) => [...new Set(values)].sort();

describe('names.tf.json, generated from the code', () => {
  it('is current (run npm run generate after changing names.ts or the sink filter)', () => {
    expect(readFileSync(join(MODULE, 'names.tf.json'), 'utf8')).toBe(renderTerraformNames());
  });

  it('carries the sink filter, unescaped, and the workflow name', () => {
    expect(names.log_sink_filter.replaceAll('$${', '${').replaceAll('%%{', '%{')).toBe(LOG_SINK_FILTER);
    expect(names.workflow).toBe(WORKFLOW_NAME);
  });
});

describe('the Terraform module against the code', () => {
  it('declares every topic the code names, and references no other', () => {
    expect(resource('google_pubsub_topic', 'topics')['for_each']).toBe('${local.kfguard.topics}');
    expect(resource('google_pubsub_topic', 'topics')['name']).toBe('${each.value}');
    expect(unique(keysUsed('google_pubsub_topic.topics'))).toEqual(['deadLetter', 'logEvents', 'sweepTicks']);
    for (const key of keysUsed('google_pubsub_topic.topics')) expect(Object.keys(TOPICS)).toContain(key);
    for (const spec of Object.values(EVENT_FUNCTIONS)) for (const topic of spec.topics) expect(Object.values(TOPICS)).toContain(topic);
  });

  it('sinks exactly the code filter into the log-events topic, with the writer identity allowed to publish', () => {
    const sink = resource('google_logging_project_sink', 'events');
    expect(sink['filter']).toBe('${local.kfguard.log_sink_filter}');
    expect(sink['unique_writer_identity']).toBe(true);
    expect(sink['destination']).toContain('google_pubsub_topic.topics["logEvents"].id');
    const grant = resource('google_pubsub_topic_iam_member', 'sink_writer');
    expect(grant).toMatchObject({ for_each: '${google_logging_project_sink.events}', role: 'roles/pubsub.publisher', member: '${each.value.writer_identity}' });
    expect(grant['topic']).toContain('topics["logEvents"]');
  });

  it('deploys one function per bundle, with the entry point, its topic, and RETRY_POLICY_RETRY', () => {
    const fn = resource('google_cloudfunctions2_function', 'event');
    expect(fn['for_each']).toBe('${local.kfguard.event_functions}');
    expect(fn['build_config'][0]['entry_point']).toBe('${each.key}');
    expect(fn['build_config'][0]['runtime']).toBe('nodejs20');
    const trigger = fn['event_trigger'][0];
    expect(trigger).toMatchObject({ retry_policy: 'RETRY_POLICY_RETRY', event_type: 'google.cloud.pubsub.topic.v1.messagePublished', pubsub_topic: '${local.topic_ids[each.value.topics[0]]}' });
    const service = fn['service_config'][0];
    expect(service).toMatchObject({ max_instance_count: '${each.value.max_instances}', max_instance_request_concurrency: '${each.value.concurrency}', timeout_seconds: '${each.value.timeout_seconds}' });
    expect(service['service_account_email']).toBe('${google_service_account.identities[each.key].email}');
    // What names.tf.json says each function is, is what the code deploys locally.
    expect(Object.keys(names.event_functions).sort()).toEqual(Object.keys(EVENT_FUNCTIONS).sort());
    expect(names.event_functions.notifier).toMatchObject({ max_instances: 1, concurrency: 1 });
    expect(names.event_functions.healthSweep).toMatchObject({ max_instances: 1, concurrency: 1 });
  });

  it('serves the dashboard over HTTP behind IAM: read-only Firestore, invokers only from dashboard_viewers, never public', () => {
    const fn = resource('google_cloudfunctions2_function', 'http');
    expect(fn['for_each']).toBe('${local.kfguard.http_functions}');
    expect(Object.keys(names.http_functions)).toEqual(Object.keys(HTTP_FUNCTIONS));
    expect(Object.keys(names.http_functions).every((name: string) => name in FUNCTIONS)).toBe(true);
    expect(fn['build_config'][0]['entry_point']).toBe('${each.key}');
    expect(fn['event_trigger']).toBeUndefined();
    expect(fn['service_config'][0]['environment_variables']).toEqual({ NODE_OPTIONS: '--enable-source-maps', KFGUARD_PROJECT: '${var.project_id}' });
    expect(resource('google_storage_bucket_object', 'bundles')['for_each']).toBe('${merge(local.kfguard.event_functions, local.kfguard.http_functions)}');
    const viewers = resource('google_cloud_run_service_iam_member', 'dashboard_viewers');
    expect(viewers).toMatchObject({ for_each: '${toset(var.dashboard_viewers)}', role: 'roles/run.invoker', member: '${each.value}' });
    expect(tf.variables['dashboard_viewers']!['validation'][0]['condition']).toContain('allUsers');
    expect(tf.text).not.toMatch(/member\s*=\s*"all(Authenticated)?Users"/);
    // Notifications link to where people open it, or nowhere: the function's own URL answers browsers with 403.
    expect(tf.locals['dashboard_link']).toBe('${var.dashboard_url == null ? {} : { KFGUARD_DASHBOARD_URL = var.dashboard_url }}');
    expect(ENV_VARIABLES).toContain('KFGUARD_DASHBOARD_URL');
  });

  it('builds the functions as their own account into kfguard\'s repository, never the default compute account', () => {
    for (const name of ['event', 'http']) {
      const build = resource('google_cloudfunctions2_function', name)['build_config'][0];
      expect(build).toMatchObject({ service_account: '${google_service_account.identities["functionBuilds"].id}', docker_repository: '${google_artifact_registry_repository.kfguard.id}' });
    }
    // Storage Object Admin in the project: the build reads the source from Cloud Functions' own gcf-v2-sources bucket.
    expect(tf.text).toMatch(/\{ project = var\.project_id, role = "roles\/storage\.objectAdmin", who = "functionBuilds" \}/);
    expect(resource('google_artifact_registry_repository_iam_member', 'writers')['for_each']).toBe('${toset(["builds", "functionBuilds"])}');
  });

  it('grants each binding once, even when the management project is also watched', () => {
    expect(resource('google_project_iam_member', 'roles')['for_each']).toContain('distinct(local.project_roles)');
    expect(tf.text).toMatch(/\{ project = local\.management_project, role = "roles\/container\.viewer", who = "healthSweep" \}/);
  });

  it('gives a function fed by several topics an Eventarc trigger per extra topic', () => {
    const extra = resource('google_eventarc_trigger', 'extra');
    expect(extra['for_each']).toBe('${local.extra_triggers}');
    // Eventarc takes the Cloud Run service's name, not the projects/P/locations/R/services/NAME the function reports.
    expect(extra['destination'][0]['cloud_run_service'][0]['service']).toBe('${reverse(split("/", google_cloudfunctions2_function.event[each.value.function].service_config[0].service))[0]}');
    expect(EVENT_FUNCTIONS.stageRunner.topics).toEqual([TOPICS.stageRequests, TOPICS.buildNotifications]);
  });

  it('sets only environment variables the code reads, and every secret reference from a declared secret', () => {
    const environment = tf.locals['function_environment'] as Record<string, string>;
    for (const name of Object.keys(environment)) if (name !== 'NODE_OPTIONS') expect(ENV_VARIABLES).toContain(name);
    const handlerEnv = resource('google_cloudfunctions2_function', 'event')['service_config'][0]['environment_variables'];
    expect(handlerEnv).toContain('KFGUARD_HANDLER_DEADLINE_MS');
    const secretVariables = ENV_VARIABLES.filter((name) => name.endsWith('_SECRET'));
    expect(secretVariables.length).toBeGreaterThan(0);
    const declared = Object.keys(JSON.parse(JSON.stringify(resource('google_secret_manager_secret', 'secrets')['for_each'])));
    for (const name of secretVariables) {
      const reference = /google_secret_manager_secret\.secrets\["(\w+)"\]\.id}\/versions\/latest/.exec(environment[name] ?? '');
      expect(reference, `${name} must reference a declared secret`).not.toBeNull();
      expect(declared).toContain(reference![1]);
    }
    // The IAP client secret a DeploymentRequest points at is declared, and only the builds read it.
    expect(declared).toContain('iap_client_secret');
    for (const key of keysUsed('google_secret_manager_secret.secrets')) expect(declared).toContain(key);
  });

  it('never writes a secret value: secrets are declared without versions', () => {
    expect(tf.resources['google_secret_manager_secret_version']).toBeUndefined();
    expect(tf.text).not.toMatch(/secret_data/);
  });

  it('grants no basic role, and only to identities it declares', () => {
    expect(tf.text).not.toMatch(/roles\/(owner|editor|viewer)"/);
    const identities = [...Object.keys(FUNCTIONS), 'workflow', 'builds', 'events', 'functionBuilds'];
    for (const extra of ['workflow', 'builds', 'events']) expect(tf.locals['identities']).toMatch(new RegExp(`\\b${extra}\\s+= \\{ id = "kfguard-${extra}"`));
    for (const who of [...tf.text.matchAll(/who\s*=\s*"(\w+)"/g)].map((match) => match[1]!)) expect(identities).toContain(who);
    for (const key of keysUsed('local.member')) expect(identities).toContain(key);
    for (const key of keysUsed('google_service_account.identities')) expect(identities).toContain(key);
  });

  it('gives every function its own service account and Firestore access, and the notifier its two secrets', () => {
    const roles = tf.text;
    expect(roles).toMatch(/for name in keys\(local\.kfguard\.event_functions\) : \{ project = var\.project_id, role = "roles\/datastore\.user", who = name \}/);
    expect(roles).toMatch(/for name in keys\(local\.kfguard\.http_functions\) : \{ project = var\.project_id, role = "roles\/datastore\.viewer", who = name \}/);
    expect(tf.locals['function_ids']).toContain('keys(local.kfguard.http_functions)');
    const accessors = resource('google_secret_manager_secret_iam_member', 'accessors')['for_each'];
    expect(Object.values(accessors)).toEqual(expect.arrayContaining([{ secret: 'chat_webhook', who: 'notifier' }, { secret: 'smtp_url', who: 'notifier' }, { secret: 'iap_client_secret', who: 'builds' }]));
  });

  it('deploys the workflow from workflows/deploy-kubeflow.yaml under the code name', () => {
    const workflow = resource('google_workflows_workflow', 'deploy');
    expect(workflow['name']).toBe('${local.kfguard.workflow}');
    expect(workflow['source_contents']).toBe('${file(local.workflow_source)}');
    expect(tf.locals['workflow_source']).toContain('/workflows/deploy-kubeflow.yaml');
    expect(existsSync(resolve(MODULE, '../../../workflows/deploy-kubeflow.yaml'))).toBe(true);
  });

  it('lets the workflow be destroyed and replaced unless deletion protection is asked for', () => {
    expect(resource('google_workflows_workflow', 'deploy')['deletion_protection']).toBe('${var.workflow_deletion_protection}');
    expect(tf.variables['workflow_deletion_protection']).toMatchObject({ type: '${bool}', default: false });
  });

  it('the workflow publishes only to topics deployTrigger hands it, all declared', () => {
    const definition = readFileSync('workflows/deploy-kubeflow.yaml', 'utf8');
    const topics = [...definition.matchAll(/call: googleapis\.pubsub\.v1\.projects\.topics\.publish\s+args:\s+topic: \$\{args\.(\w+)\}/g)].map((match) => match[1]!);
    expect(unique(topics)).toEqual(['notificationTopic', 'stageTopic']);
    expect(definition.match(/topics\.publish/g)).toHaveLength(topics.length);
    const parsed = parseDeploymentRequest(JSON.parse(readFileSync('functions/samples/deployment-request.json', 'utf8')));
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const argument = workflowArgument(parsed.request, 'p', {});
    const declared = Object.values(TOPICS).map((topic) => topicPath('p', topic));
    for (const name of topics) expect(declared).toContain(argument[name]);
    expect(parseYaml(definition)).toHaveProperty('main');
  });

  it('schedules the sweep on the sweep-ticks topic', () => {
    expect(resource('google_cloud_scheduler_job', 'sweep')['pubsub_target'][0]['topic_name']).toContain('topics["sweepTicks"]');
  });

  it('reads Firestore indexes, TTLs and exemptions from firestore.indexes.json, the file Firebase deploys', () => {
    expect(tf.locals['firestore_indexes']).toBe('${jsondecode(file(local.indexes_file))}');
    expect(tf.locals['indexes_file']).toContain('/firestore.indexes.json');
    expect(resource('google_firestore_field', 'overrides')['for_each']).toContain('local.firestore_indexes.fieldOverrides');
    expect(resource('google_firestore_index', 'composite')['for_each']).toContain('local.firestore_indexes.indexes');
    const firebase = JSON.parse(readFileSync('firebase.json', 'utf8'));
    expect(firebase.firestore).toEqual({ rules: 'firestore.rules', indexes: 'firestore.indexes.json' });
  });

  it('deploys a rules file that denies every client', () => {
    const rules = readFileSync('firestore.rules', 'utf8');
    expect(rules).toMatch(/match \/\{document=\*\*\} \{\s+allow read, write: if false;\s+\}/);
    expect(rules).not.toMatch(/if true|allow (read|write|get|list|create|update|delete)(?!.*if false)/);
    expect(resource('google_firebaserules_release', 'firestore')['name']).toBe('cloud.firestore');
  });

  it('the example root passes every variable it declares to the module', () => {
    const call = (example.text.match(/module "kfguard" \{([\s\S]*?)\n\}/) ?? [])[1] ?? '';
    for (const name of Object.keys(example.variables)) expect(call).toMatch(new RegExp(`\\b${name}\\s*=\\s*var\\.${name}\\b`));
    for (const name of Object.keys(example.variables)) expect(Object.keys(tf.variables)).toContain(name);
    const tfvars = readFileSync(join(EXAMPLE, 'terraform.tfvars.example'), 'utf8');
    for (const [name, variable] of Object.entries(example.variables)) if (!('default' in variable)) expect(tfvars).toMatch(new RegExp(`^${name}\\s*=`, 'm'));
  });

  it.runIf(hasTerraform())('is formatted as terraform fmt writes it', () => {
    const check = spawnSync('terraform', ['fmt', '-check', '-recursive', 'infra'], { encoding: 'utf8' });
    // -check lists the files it would rewrite on stdout.
    expect(check.stdout.split('\n').filter(Boolean), 'files terraform fmt would rewrite').toEqual([]);
    expect(check.status).toBe(0);
  });
});

describe('firestore.indexes.json against the data the code writes', () => {
  const indexes = JSON.parse(readFileSync('firestore.indexes.json', 'utf8'));
  it('expires processed events and rejected messages by expireAt', () => {
    const ttl = indexes.fieldOverrides.filter((override: any) => override.ttl).map((override: any) => `${override.collectionGroup}.${override.fieldPath}`);
    expect(ttl.sort()).toEqual([`${COLLECTIONS.events}.expireAt`, `${COLLECTIONS.rejected}.expireAt`]);
    expect(readFileSync('functions/src/adapters/firestore/findings.ts', 'utf8')).toMatch(/expireAt: Timestamp\.fromMillis/);
    expect(readFileSync('functions/src/adapters/firestore/rejected.ts', 'utf8')).toMatch(/expireAt: Timestamp\.fromMillis/);
  });

  it('names only collections the code uses', () => {
    const known = [...Object.values(COLLECTIONS), SNAPSHOT_PARTS, 'stages', 'builds'];
    for (const entry of [...indexes.indexes, ...indexes.fieldOverrides]) expect(known).toContain(entry.collectionGroup);
  });
});

function hasTerraform(): boolean {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
