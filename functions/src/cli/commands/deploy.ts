import type { Command } from 'commander';
import { Option } from 'commander';
import { parseDeploymentRequest } from '../../core/deploy/request.js';
import { readJsonFile } from '../../adapters/input/files.js';
import { UsageError, write, type CliIo } from '../io.js';

export function registerDeploy(program: Command, io: CliIo): void {
  program
    .command('deploy')
    .description('publish a DeploymentRequest to the deploy-requests topic (validated here first)')
    .argument('<request>', 'the DeploymentRequest JSON file')
    .action(async (file: string) => {
      const parsed = parseDeploymentRequest(await readJsonFile(file));
      if (!parsed.ok) throw new UsageError(`${file} is not a valid DeploymentRequest:\n  ${parsed.errors.join('\n  ')}`);
      const { publishDeploymentRequest } = await import('../actions/deploy-commands.js');
      const messageId = await publishDeploymentRequest(io, parsed.request);
      await write(io.stdout, `published deployment ${parsed.request.id} (message ${messageId}); follow it with: kfguard deployments ${parsed.request.id}\n`);
    });
  program
    .command('deployments')
    .description('deployments and their stage timelines (Firestore `deployments`)')
    .argument('[id]', 'one deployment, with its stages')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (id: string | undefined, options: { format: 'table' | 'json' }) => {
      const { describeDeployments } = await import('../actions/deploy-commands.js');
      await write(io.stdout, await describeDeployments(io, id, options.format));
    });
}
