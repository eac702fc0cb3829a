import type { Command } from 'commander';
import { clusterIdOrName, emptyClusterModel, isNamed, withRangeOverrides, type ClusterModel } from '../../core/model/cluster.js';
import { configSize } from '../../core/config/specs.js';
import { runChecks } from '../../core/check/run.js';
import { renderDocument } from '../../core/report/findings-report.js';
import { loadClusterFile } from '../../adapters/input/cluster-file.js';
import { loadNetworkConfig } from '../../adapters/input/config-inputs.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, write, type CliIo } from '../io.js';
import {
  addClusterOptions,
  addOutputOptions,
  addRejectionOption,
  failsOn,
  outputFormat,
  outputWidth,
  rangeOverrides,
  rejectionSummary,
  type ClusterOptions,
  type OutputOptions,
  type RejectionOptions,
} from '../options.js';

interface CheckOptions extends ClusterOptions, OutputOptions, RejectionOptions {
  manifests?: string[];
  gcloud?: string[];
}

export function registerCheck(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('check')
    .description('evaluate firewall rules and policies, routes, DNS and NAT against the flows a private Kubeflow cluster needs')
    .option('--manifests <paths...>', 'YAML files or folders: Config Connector and Kubernetes resources (kustomize build output, kpt packages)')
    .option(
      '--gcloud <paths...>',
      'JSON exports: gcloud compute networks get-effective-firewalls/describe, firewall-rules/routes/routers/networks subnets list, firewall-policies and network-firewall-policies describe/list, gcloud dns managed-zones/record-sets list, gcloud container clusters describe/list, gcloud projects describe, kubectl get ... -o json; the APIs\' own list responses too',
    );
  addClusterOptions(command);
  addOutputOptions(command);
  addRejectionOption(command);
  command.action(async (options: CheckOptions) => {
    if (!options.manifests?.length && !options.gcloud?.length && !options.cluster) throw new UsageError('check needs --manifests, --gcloud or --cluster');
    const overrides = rangeOverrides(options);
    const { config, rejected } = await loadNetworkConfig({ manifests: options.manifests, gcloud: options.gcloud });
    const clusters: ClusterModel[] = options.cluster ? [await loadClusterFile(options.cluster, options.clusterName)] : [];
    if (options.clusterName && !options.cluster) {
      const named = config.clusters.filter((cluster) => isNamed(cluster.model, options.clusterName!));
      if (named.length === 0) throw new UsageError(`--cluster-name: no cluster named ${options.clusterName} among the inputs (${config.clusters.map((cluster) => clusterIdOrName(cluster.model)).join(', ') || 'none'})`);
      config.clusters = named;
    }
    if (clusters.length === 0 && config.clusters.length === 0 && overrides.masterCidr) {
      // Range flags alone describe a private cluster the inputs do not hold.
      clusters.push({ ...emptyClusterModel(), privateNodes: true, network: config.firewalls[0]?.network });
    }
    const report = runChecks(config, { clusters, rejected, adjust: (model) => withRangeOverrides(model, overrides) });
    await write(io.stdout, renderDocument(report, outputFormat(options, io.stdoutIsTTY), outputWidth(options, io.stdoutColumns)));
    const judgedNothing = configSize(config) === 0 && clusters.length === 0;
    const rejection = rejectionSummary(rejected);
    if (rejection) await write(io.stderr, `${rejection}${options.allowRejected ? '' : '; exit 2 (pass --allow-rejected to judge what was read)'}\n`);
    if (judgedNothing) await write(io.stderr, 'kfguard: nothing in the inputs could be judged: no firewall rule, policy, route, network, cluster or Kubernetes resource was recognised\n');
    if (judgedNothing || (rejection && !options.allowRejected)) setExit(EXIT_USAGE);
    else setExit(failsOn(report.findings, options.failOn) ? EXIT_FINDINGS : EXIT_OK);
  });
}
