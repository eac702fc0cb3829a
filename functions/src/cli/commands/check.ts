import type { Command } from 'commander';
import { emptyClusterModel, withRangeOverrides, type ClusterModel } from '../../core/model/cluster.js';
import { runChecks } from '../../core/check/run.js';
import { renderDocument } from '../../core/report/findings-report.js';
import { loadClusterFile } from '../../adapters/input/cluster-file.js';
import { loadNetworkConfig } from '../../adapters/input/config-inputs.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError, write, type CliIo } from '../io.js';
import { addClusterOptions, addOutputOptions, failsOn, outputFormat, rangeOverrides, type ClusterOptions, type OutputOptions } from '../options.js';

interface CheckOptions extends ClusterOptions, OutputOptions {
  manifests?: string[];
  gcloud?: string[];
}

export function registerCheck(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('check')
    .description('evaluate firewall rules, routes, DNS and NAT against the flows a private Kubeflow cluster needs')
    .option('--manifests <paths...>', 'YAML files or folders: Config Connector and Kubernetes resources (kustomize build output, kpt packages)')
    .option('--gcloud <paths...>', 'JSON exports: gcloud compute firewall-rules/routes/routers list, gcloud dns managed-zones/record-sets list, gcloud container clusters describe, kubectl get ... -o json');
  addClusterOptions(command);
  addOutputOptions(command);
  command.action(async (options: CheckOptions) => {
    if (!options.manifests?.length && !options.gcloud?.length && !options.cluster) throw new UsageError('check needs --manifests, --gcloud or --cluster');
    const { config, rejected } = await loadNetworkConfig({ manifests: options.manifests, gcloud: options.gcloud });
    const overrides = rangeOverrides(options);
    const clusters: ClusterModel[] = options.cluster ? [await loadClusterFile(options.cluster)] : [];
    if (clusters.length === 0 && config.clusters.length === 0 && overrides.masterCidr) {
      // Range flags alone describe a private cluster the inputs do not hold.
      clusters.push({ ...emptyClusterModel(), privateNodes: true, network: config.firewalls[0]?.network });
    }
    const report = runChecks(config, { clusters, rejected, adjust: (model) => withRangeOverrides(model, overrides) });
    await write(io.stdout, renderDocument(report, outputFormat(options, io.stdoutIsTTY)));
    setExit(failsOn(report.findings, options.failOn) ? EXIT_FINDINGS : EXIT_OK);
  });
}
