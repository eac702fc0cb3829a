import { Option, type Command } from 'commander';
import { emptyClusterModel, withRangeOverrides } from '../../core/model/cluster.js';
import { ClusterIdError } from '../../core/model/cluster-id.js';
import { clusterKey, storedModel, type RegisteredCluster } from '../../core/pipeline/registry.js';
import { columns } from '../../core/report/text.js';
import { loadClusterFile } from '../../adapters/input/cluster-file.js';
import { UsageError, write, type CliIo } from '../io.js';
import { addClusterOptions, outputWidth, rangeOverrides, wideOption, type ClusterOptions, type WideOption } from '../options.js';

interface AddOptions extends ClusterOptions {
  project: string;
  location: string;
  name: string;
  managementNamespace?: string;
  managementCluster?: string;
  managementLocation?: string;
}

export function registerClusters(program: Command, io: CliIo): void {
  const clusters = program.command('clusters').description('the cluster registry the log sink and the sweep use (Firestore `clusters`)');
  const add = clusters
    .command('add')
    .description('register (or update) a cluster')
    .requiredOption('--project <project>', 'GCP project of the Kubeflow cluster')
    .requiredOption('--location <location>', 'region or zone')
    .requiredOption('--name <name>', 'cluster name')
    .option('--management-namespace <namespace>', 'Config Connector namespace on the management cluster (enables cnrm-resource-not-ready)')
    .option('--management-cluster <name>', 'management cluster name (default: the cluster itself)')
    .option('--management-location <location>', 'management cluster location');
  addClusterOptions(add);
  add.action(async (options: AddOptions) => {
    let key: string;
    try {
      key = clusterKey(options.project, options.location, options.name);
    } catch (error) {
      if (error instanceof ClusterIdError) throw new UsageError(error.message);
      throw error;
    }
    const overrides = rangeOverrides(options);
    const base = options.cluster ? await loadClusterFile(options.cluster) : { ...emptyClusterModel(), privateNodes: true };
    const model = withRangeOverrides({ ...base, project: options.project, location: options.location, name: options.name }, overrides);
    const cluster: RegisteredCluster = { key, project: options.project, location: options.location, name: options.name, model: storedModel(model), registeredAt: new Date().toISOString() };
    if (options.managementNamespace) {
      cluster.management = { namespace: options.managementNamespace, ...(options.managementCluster ? { name: options.managementCluster } : {}), ...(options.managementLocation ? { location: options.managementLocation } : {}) };
    }
    const { registerCluster } = await import('../actions/firestore-commands.js');
    await registerCluster(io, cluster);
    await write(io.stdout, `registered ${key}\n`);
  });
  clusters
    .command('list')
    .description('registered clusters and their last sweep')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(wideOption())
    .action(async (options: { format: 'table' | 'json' } & WideOption) => {
      const { listClusters } = await import('../actions/firestore-commands.js');
      const list = await listClusters(io);
      if (options.format === 'json') {
        await write(io.stdout, `${JSON.stringify({ clusters: list }, null, 2)}\n`);
        return;
      }
      const rows = [['CLUSTER', 'NETWORK', 'CONTROL PLANE', 'LAST SWEEP', 'OPEN']];
      for (const cluster of list) {
        rows.push([cluster.key, cluster.model.network ?? '', cluster.model.masterCidr ?? '', cluster.lastSweep ? `${cluster.lastSweep.at} ${cluster.lastSweep.status}${cluster.lastSweep.unreadSources?.length ? ` (unread: ${cluster.lastSweep.unreadSources.join(', ')})` : ''}` : 'never', String(cluster.lastSweep?.openFindings ?? '')]);
      }
      await write(io.stdout, list.length === 0 ? 'No clusters registered (kfguard clusters add).\n' : `${columns(rows, outputWidth(options, io.stdoutColumns))}\n`);
    });
}
