import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BlueprintError, enablePrivateInKustomization, KUSTOMIZATION_PATH, parseSetters, setMakefileValues } from '../../core/deploy/blueprint.js';
import { collect } from '../options.js';
import { UsageError, write, type CliIo } from '../io.js';

async function edit(path: string, change: (text: string) => { text: string }): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${path}: is this the blueprint's kubeflow directory (kpt pkg get .../kubeflow)?`);
  }
  const result = change(text);
  if (result.text !== text) await writeFile(path, result.text);
}

export function registerBlueprint(program: Command, io: CliIo): void {
  program
    .command('blueprint')
    .description("edits to the Kubeflow GCP blueprint that the private-GKE guide asks for")
    .command('enable-private')
    .description('add the private-GKE patch and package to instance/gcp_config/kustomization.yaml and set the Makefile setters (idempotent, comments kept)')
    .argument('<dir>', "the blueprint's kubeflow directory")
    .option('--set <key=value>', 'a setter value: name, project, region, zone, location, mgmt-ctxt, email, log-firewalls, gke.private (repeatable)', collect)
    .action(async (dir: string, options: { set?: string[] }) => {
      try {
        const values = parseSetters(options.set ?? []);
        const notes: string[] = [];
        await edit(join(dir, KUSTOMIZATION_PATH), (text) => {
          const result = enablePrivateInKustomization(text);
          notes.push(...result.added.map((line) => `${KUSTOMIZATION_PATH}: added ${line}`));
          return result;
        });
        await edit(join(dir, 'Makefile'), (text) => {
          const result = setMakefileValues(text, values);
          notes.push(...result.changed.map((line) => `Makefile set-values: ${line}`));
          return result;
        });
        await write(io.stdout, notes.length > 0 ? `${notes.join('\n')}\nnext: make set-values && make apply\n` : 'already configured for private GKE; nothing changed\n');
      } catch (error) {
        if (error instanceof BlueprintError) throw new UsageError(error.message);
        throw error;
      }
    });
}
