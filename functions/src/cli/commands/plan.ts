import { Option, type Command } from 'commander';
import { Analyzer } from '../../core/analyze/analyzer.js';
import { clusterFirewalls } from '../../core/check/firewall-stack.js';
import { firewallContext, firewallView } from '../../core/check/context.js';
import { clustersToCheck, runChecks } from '../../core/check/run.js';
import type { NetworkConfig } from '../../core/config/specs.js';
import { groupCauses } from '../../core/findings/causes.js';
import type { Finding } from '../../core/findings/finding.js';
import { DEFAULT_STUCK_MINUTES } from '../../core/gke/operation.js';
import type { ClusterModel } from '../../core/model/cluster.js';
import { withPlanApplied } from '../../core/plan/apply.js';
import { buildPlan, type Plan } from '../../core/plan/plan.js';
import { provePlan } from '../../core/plan/prove.js';
import { sourceOf } from '../../core/report/findings-report.js';
import { PLAN_FORMATS, renderPlan, type PlanFormat } from '../../core/report/plan-report.js';
import { loadCheckInputs, type CheckInputOptions, type CheckInputs } from '../check-inputs.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, write, type CliIo } from '../io.js';
import { readLogFiles } from '../log-inputs.js';
import { checkOpenable } from '../../adapters/input/files.js';
import { ClusterIdError, formatClusterId, parseClusterId } from '../../core/model/cluster-id.js';
import { addClusterOptions, addRejectionOption, parseNow, rejectionSummary, type RejectionOptions } from '../options.js';

interface PlanOptions extends CheckInputOptions, RejectionOptions {
  format: PlanFormat;
  now?: string;
  clusterId?: string;
}

/** `--cluster-id`: a registered cluster's open findings from the store, proved against its live network. */
async function storedPlan(io: CliIo, id: string): Promise<Plan> {
  let key: string;
  try {
    key = formatClusterId(parseClusterId(id));
  } catch (error) {
    if (error instanceof ClusterIdError) throw new UsageError(`--cluster-id ${id}: ${error.message}`);
    throw error;
  }
  const [{ withFirestore }, { planForCluster, UnknownClusterError }] = await Promise.all([import('../actions/connect.js'), import('../../adapters/pipeline/cluster-plan.js')]);
  return withFirestore(io, async () => {
    try {
      return await planForCluster(key);
    } catch (error) {
      if (error instanceof UnknownClusterError) throw new UsageError(error.message);
      throw error;
    }
  });
}

interface Judged {
  findings: Finding[];
  /** The one-line summary of rejected input, when some was. */
  rejections: string | undefined;
}

/** The cluster the logs are read for: the one the checks judge (ranges filled from its subnetwork), when there is one. */
function logModel(config: NetworkConfig, inputs: CheckInputs): ClusterModel | undefined {
  return clustersToCheck(config, inputs.run)[0];
}

/** Every finding of the inputs: the checks on the configuration, and the logs judged against its rules. */
async function judge(config: NetworkConfig, inputs: CheckInputs, logs: string[], now: Date, io: CliIo): Promise<Judged> {
  const checked = runChecks(config, inputs.run);
  const model = logModel(config, inputs);
  if (logs.length === 0 || !model) return { findings: checked.findings, rejections: rejectionSummary(inputs.rejected) };
  // The logs are judged as the sink judges them against a snapshot: fixes for the traffic the checks judge are the checks' own.
  const { view } = firewallView(config, model);
  const live = firewallContext(view, model);
  const analyzer = new Analyzer({ model, now, thresholds: DEFAULT_STUCK_MINUTES, live, notes: [] });
  await readLogFiles(analyzer, logs, io, 'plan');
  const report = analyzer.report();
  const rejected = [...inputs.rejected, ...report.rejected];
  return { findings: [...checked.findings, ...report.findings], rejections: rejectionSummary(rejected, inputs.rejected.length + report.stats.rejected) };
}

/** A change can need another (a NAT needs a route to the internet): how many times the plan may grow to take in what its own changes bring up. */
const MAX_PLAN_ROUNDS = 3;

/**
 * The plan for the findings, then the same inputs judged again with it applied: the proof. An
 * error the plan's own changes bring up (and that kfguard can fix) joins the plan, and the whole
 * is planned and judged again, a bounded number of times.
 */
async function planAndProve(inputs: CheckInputs, logs: string[], now: Date, io: CliIo): Promise<{ plan: Plan; before: Judged }> {
  const before = await judge(inputs.config, inputs, logs, now, io);
  const model = logModel(inputs.config, inputs);
  const stack = model || inputs.config.firewalls.length > 0 ? clusterFirewalls(inputs.config, model).stack : undefined;
  let toFix = before.findings;
  for (let round = 1; ; round++) {
    const { causeOf } = groupCauses(toFix, sourceOf);
    const plan = buildPlan({ findings: toFix.map((finding) => ({ ...finding, cause: causeOf.get(finding.id)! })), sourceOf, ...(stack ? { stack } : {}) });
    const applied = withPlanApplied(inputs.config, plan.changes, 'the plan');
    const after = await judge(applied.config, inputs, logs, now, io);
    const known = new Set(toFix.map((finding) => finding.id));
    const brought = after.findings.filter((finding) => !known.has(finding.id) && finding.severity === 'error' && !finding.allowedNow && (finding.remediation.changes?.length || finding.remediation.gcloud));
    if (brought.length === 0 || round === MAX_PLAN_ROUNDS) return { plan: provePlan(plan, before.findings, after.findings), before };
    toFix = [...toFix, ...brought];
  }
}

export function registerPlan(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('plan')
    .description('the smallest change set that fixes the error findings of the inputs, proved by judging the inputs again with it applied')
    .argument('[logs...]', 'exported logs to plan for too, as kfguard analyze reads them (files: the proof reads them twice)')
    .option('--manifests <paths...>', 'YAML files or folders, as for kfguard check')
    .option('--gcloud <paths...>', 'JSON exports, as for kfguard check')
    .option('--now <time>', 'the time stuck operations are measured against (RFC 3339)')
    .option('--cluster-id <PROJECT:LOCATION:NAME>', "plan for a registered cluster: its open findings in the store, proved against its live network (the local stack here, else KFGUARD_PROJECT)")
    .addOption(new Option('--format <format>', 'json (the contract), shell (a gcloud script), manifests (Config Connector), terraform, markdown (a PR description)').choices(PLAN_FORMATS).default('json'));
  addClusterOptions(command);
  addRejectionOption(command);
  command.action(async (logs: string[], options: PlanOptions) => {
    if (options.clusterId) {
      if (logs.length > 0 || options.manifests || options.gcloud || options.cluster || options.withPlan) throw new UsageError('--cluster-id plans from the store and the live network: give no logs, --manifests, --gcloud or --cluster with it');
      const plan = await storedPlan(io, options.clusterId);
      await write(io.stdout, renderPlan(plan, options.format));
      setExit(plan.verified && plan.unresolved.length === 0 ? EXIT_OK : EXIT_FINDINGS);
      return;
    }
    if (logs.includes('-')) throw new UsageError('plan reads its log files twice (to plan, then to prove the plan): give files, not stdin');
    await checkOpenable(logs);
    const inputs = await loadCheckInputs('plan', options);
    const { plan, before } = await planAndProve(inputs, logs, parseNow(options.now), io);
    await write(io.stdout, renderPlan(plan, options.format));
    if (before.rejections) await write(io.stderr, `${before.rejections}${options.allowRejected ? '' : '; exit 2 (pass --allow-rejected to plan for what was read)'}\n`);
    if (before.rejections && !options.allowRejected) setExit(EXIT_USAGE);
    else setExit(plan.verified && plan.unresolved.length === 0 ? EXIT_OK : EXIT_FINDINGS);
  });
}
