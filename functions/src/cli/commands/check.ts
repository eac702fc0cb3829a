import type { Command } from 'commander';
import { configSize } from '../../core/config/specs.js';
import { runChecks } from '../../core/check/run.js';
import { renderDocument } from '../../core/report/findings-report.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, write, type CliIo } from '../io.js';
import { loadCheckInputs, type CheckInputOptions } from '../check-inputs.js';
import {
  addClusterOptions,
  addOutputOptions,
  addRejectionOption,
  collect,
  failsOn,
  outputFormat,
  outputWidth,
  rejectionSummary,
  type OutputOptions,
  type RejectionOptions,
} from '../options.js';

interface CheckOptions extends CheckInputOptions, OutputOptions, RejectionOptions {}

export function registerCheck(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('check')
    .description('evaluate firewall rules and policies, routes, DNS and NAT against the flows a private Kubeflow cluster needs')
    .option('--manifests <paths...>', 'YAML files or folders: Config Connector and Kubernetes resources (kustomize build output, kpt packages)')
    .option(
      '--gcloud <paths...>',
      'JSON exports: gcloud compute networks get-effective-firewalls/describe, firewall-rules/routes/routers/networks subnets list, firewall-policies and network-firewall-policies describe/list, gcloud dns managed-zones/record-sets list, gcloud container clusters describe/list, gcloud projects describe, kubectl get ... -o json; the APIs\' own list responses too',
    )
    .option('--with-plan <file>', 'judge the inputs as if this plan (kfguard plan --format json) were applied (repeatable)', collect);
  addClusterOptions(command);
  addOutputOptions(command);
  addRejectionOption(command);
  command.action(async (options: CheckOptions) => {
    const { config, rejected, run } = await loadCheckInputs('check', options);
    const report = runChecks(config, run);
    await write(io.stdout, renderDocument(report, outputFormat(options, io.stdoutIsTTY), outputWidth(options, io.stdoutColumns)));
    const judgedNothing = configSize(config) === 0 && (run.clusters ?? []).length === 0;
    const rejection = rejectionSummary(rejected);
    if (rejection) await write(io.stderr, `${rejection}${options.allowRejected ? '' : '; exit 2 (pass --allow-rejected to judge what was read)'}\n`);
    if (judgedNothing) await write(io.stderr, 'kfguard: nothing in the inputs could be judged: no firewall rule, policy, route, network, cluster or Kubernetes resource was recognised\n');
    if (judgedNothing || (rejection && !options.allowRejected)) setExit(EXIT_USAGE);
    else setExit(failsOn(report.findings, options.failOn) ? EXIT_FINDINGS : EXIT_OK);
  });
}
