import type { Command } from 'commander';
import { Analyzer } from '../../core/analyze/analyzer.js';
import { DEFAULT_STUCK_MINUTES, GkeOperationSchema, operationStateFromApi, parseThreshold } from '../../core/gke/operation.js';
import { zodIssueText } from '../../core/logs/log-entry.js';
import { renderDocument } from '../../core/report/findings-report.js';
import { checkOpenable } from '../../adapters/input/files.js';
import { readLocatedJson } from '../../adapters/input/json-tokens.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, write, type CliIo } from '../io.js';
import {
  addClusterOptions,
  addOutputOptions,
  addRejectionOption,
  collect,
  failsOn,
  outputFormat,
  outputWidth,
  parseNow,
  rejectionSummary,
  resolveClusterModel,
  type ClusterOptions,
  type OutputOptions,
  type RejectionOptions,
} from '../options.js';
import { readLogFiles } from '../log-inputs.js';
import type { ClusterModel } from '../../core/model/cluster.js';
import { FirewallEvaluator } from '../../core/firewall/evaluator.js';
import type { FirewallStack } from '../../core/firewall/stack.js';
import { clusterFirewalls } from '../../core/check/firewall-stack.js';
import type { ConfigRejection } from '../../core/config/specs.js';
import { loadNetworkConfig } from '../../adapters/input/config-inputs.js';

interface AnalyzeOptions extends ClusterOptions, OutputOptions, RejectionOptions {
  operations?: string[];
  rules?: string[];
  now?: string;
  stuckAfter?: string[];
}

function thresholds(overrides: string[] = []): Record<string, number> {
  const result: Record<string, number> = { ...DEFAULT_STUCK_MINUTES };
  for (const text of overrides) {
    try {
      const [type, minutes] = parseThreshold(text);
      result[type] = minutes;
    } catch (error) {
      throw new UsageError(`--stuck-after: ${(error as Error).message}`);
    }
  }
  return result;
}

/**
 * `gcloud container operations list` gives an array, `describe` one object, the API
 * `{operations: [...]}`: each operation with its path in the document.
 */
function operationList(value: unknown): [unknown, string][] {
  if (Array.isArray(value)) return value.map((op, index) => [op, `[${index}]`]);
  const operations = value && typeof value === 'object' ? (value as { operations?: unknown }).operations : undefined;
  if (Array.isArray(operations)) return operations.map((op, index) => [op, `.operations[${index}]`]);
  return [[value, '']];
}

async function addOperations(analyzer: Analyzer, files: string[]): Promise<void> {
  for (const file of files) {
    const { value, locate } = await readLocatedJson(file);
    for (const [operation, path] of operationList(value)) {
      const parsed = GkeOperationSchema.safeParse(operation);
      if (parsed.success) analyzer.addOperation(operationStateFromApi(parsed.data));
      else analyzer.reject(locate.line(path), `not a GKE operation: ${zodIssueText(parsed.error)}`);
    }
  }
}

/** The rules of --rules (VPC rules, firewall policies, effective firewalls) as the stack that decides the cluster's traffic. */
async function firewallInForce(paths: string[], model: ClusterModel): Promise<{ firewall: { stack: FirewallStack; evaluator: FirewallEvaluator }; rejected: ConfigRejection[]; notes: string[] }> {
  const { config, rejected } = await loadNetworkConfig({ manifests: paths });
  if (config.firewalls.length === 0) throw new UsageError(`--rules: no firewall rules or firewall policies in ${paths.join(', ')}`);
  const { stack, notes } = clusterFirewalls(config, model.name ? model : undefined);
  return { firewall: { stack, evaluator: new FirewallEvaluator(stack) }, rejected, notes: [...config.notes, ...notes] };
}

export function registerAnalyze(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('analyze')
    .description('diagnose exported logs: DENIED firewall entries, failed webhook calls, GKE operations')
    .argument('[files...]', 'gcloud logging read --format=json output, NDJSON, or Pub/Sub push bodies / CloudEvents; - or none for stdin')
    .option('--operations <file>', 'gcloud container operations list/describe --format=json output (repeatable)', collect)
    .option('--now <time>', 'the time stuck operations are measured against (RFC 3339)')
    .option('--stuck-after <type=minutes>', 'stuck threshold per operationType, e.g. CREATE_CLUSTER=45 or default=60 (repeatable)', collect)
    .option(
      '--rules <file>',
      'the rules in force (gcloud compute networks get-effective-firewalls, firewall-rules list, firewall-policies describe JSON, or ComputeFirewall and firewall policy manifests; repeatable): name the deciding rule and prove each fix',
      collect,
    );
  addClusterOptions(command);
  addOutputOptions(command);
  addRejectionOption(command);
  command.action(async (files: string[], options: AnalyzeOptions) => {
    const inputs = files.length > 0 ? files : ['-'];
    await checkOpenable(inputs.filter((file) => file !== '-'));
    const model = await resolveClusterModel(options);
    const inForce = options.rules ? await firewallInForce(options.rules, model) : undefined;
    const analyzer = new Analyzer({ model, now: parseNow(options.now), thresholds: thresholds(options.stuckAfter), firewall: inForce?.firewall, notes: inForce?.notes ?? [] });
    for (const { source, reason } of inForce?.rejected ?? []) analyzer.reject(source, `--rules: ${reason}`);
    await addOperations(analyzer, options.operations ?? []);
    await readLogFiles(analyzer, inputs, io, 'analyze');
    const report = analyzer.report();
    await write(io.stdout, renderDocument(report, outputFormat(options, io.stdoutIsTTY), outputWidth(options, io.stdoutColumns)));
    const rejection = rejectionSummary(report.rejected, report.stats.rejected);
    if (rejection) await write(io.stderr, `${rejection}${options.allowRejected ? '' : '; exit 2 (pass --allow-rejected to judge what was read)'}\n`);
    if (rejection && !options.allowRejected) setExit(EXIT_USAGE);
    else setExit(failsOn(report.findings, options.failOn) ? EXIT_FINDINGS : EXIT_OK);
  });
}
