import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BlueprintError, enablePrivateInKustomization, KUSTOMIZATION_PATH, parseSetters, setMakefileValues } from '../../core/deploy/blueprint.js';
import { PRIVATE_NETWORK_FILES, setPrivateNetworkRanges, type NetworkRanges } from '../../core/deploy/network-ranges.js';
import { parseCidr } from '../../core/net/cidr.js';
import { checkRangeFlag, collect } from '../options.js';
import { UsageError, write, type CliIo } from '../io.js';

interface EnablePrivateOptions {
  set?: string[];
  masterCidr?: string;
  nodeCidr?: string;
  podCidr?: string;
  serviceCidr?: string;
}

async function readBlueprintFile(dir: string, path: string): Promise<string> {
  try {
    return await readFile(join(dir, path), 'utf8');
  } catch {
    throw new UsageError(`cannot read ${join(dir, path)}: is this the blueprint's kubeflow directory (kpt pkg get .../kubeflow, then make get-pkg)?`);
  }
}

function networkRanges(options: EnablePrivateOptions): NetworkRanges {
  const ranges: NetworkRanges = {};
  for (const [flag, kind, key, value] of [
    ['--master-cidr', 'master', 'controlPlaneCidr', options.masterCidr],
    ['--node-cidr', 'node', 'nodeCidr', options.nodeCidr],
    ['--pod-cidr', 'pod', 'podCidr', options.podCidr],
    ['--service-cidr', 'service', 'serviceCidr', options.serviceCidr],
  ] as const) {
    if (value === undefined) continue;
    checkRangeFlag(flag, kind, value);
    const range = parseCidr(value);
    // The subnetwork's ranges and the control plane's are IPv4 in the package.
    if (range.family !== 4) throw new UsageError(`${flag} ${value}: not an IPv4 range`);
    ranges[key] = range.text;
  }
  return ranges;
}

/** Every edit is worked out before any file is written, so a refused value leaves the package as it was. */
async function enablePrivate(dir: string, options: EnablePrivateOptions): Promise<string[]> {
  const values = parseSetters(options.set ?? []);
  const ranges = networkRanges(options);
  const edits: { path: string; before: string; after: string }[] = [];
  const notes: string[] = [];
  const kustomization = await readBlueprintFile(dir, KUSTOMIZATION_PATH);
  const privateEdit = enablePrivateInKustomization(kustomization);
  edits.push({ path: KUSTOMIZATION_PATH, before: kustomization, after: privateEdit.text });
  notes.push(...privateEdit.added.map((line) => `${KUSTOMIZATION_PATH}: added ${line}`));
  const makefile = await readBlueprintFile(dir, 'Makefile');
  const setters = setMakefileValues(makefile, values);
  edits.push({ path: 'Makefile', before: makefile, after: setters.text });
  notes.push(...setters.changed.map((line) => `Makefile set-values: ${line}`));
  if (Object.keys(ranges).length > 0) {
    const files = { patch: await readBlueprintFile(dir, PRIVATE_NETWORK_FILES.patch), network: await readBlueprintFile(dir, PRIVATE_NETWORK_FILES.network), firewall: await readBlueprintFile(dir, PRIVATE_NETWORK_FILES.firewall) };
    const edited = setPrivateNetworkRanges(files, ranges);
    for (const key of Object.keys(files) as (keyof typeof files)[]) edits.push({ path: PRIVATE_NETWORK_FILES[key], before: files[key], after: edited.files[key] });
    notes.push(...edited.changed);
  }
  for (const edit of edits) if (edit.after !== edit.before) await writeFile(join(dir, edit.path), edit.after);
  return notes;
}

export function registerBlueprint(program: Command, io: CliIo): void {
  program
    .command('blueprint')
    .description('edits to the Kubeflow GCP blueprint that the private-GKE guide asks for')
    .command('enable-private')
    .description('add the private-GKE patch and package to instance/gcp_config/kustomization.yaml, set the Makefile setters and the private network ranges (idempotent, comments kept)')
    .argument('<dir>', "the blueprint's kubeflow directory")
    .option('--set <key=value>', 'a setter value: name, project, region, zone, location, mgmt-ctxt, email, log-firewalls, gke.private (repeatable)', collect)
    .option('--master-cidr <cidr>', "the control plane's /28: the cluster patch's masterIpv4CidrBlock and the firewall rules that name it")
    .option('--node-cidr <cidr>', "the subnetwork's primary range")
    .option('--pod-cidr <cidr>', "the subnetwork's pod secondary range")
    .option('--service-cidr <cidr>', "the subnetwork's service secondary range")
    .action(async (dir: string, options: EnablePrivateOptions) => {
      try {
        const notes = await enablePrivate(dir, options);
        await write(io.stdout, notes.length > 0 ? `${notes.join('\n')}\nnext: make set-values && make hydrate\n` : 'already configured for private GKE; nothing changed\n');
      } catch (error) {
        if (error instanceof BlueprintError) throw new UsageError(error.message);
        throw error;
      }
    });
}
