import type { Command } from 'commander';
import { Option } from 'commander';
import { parseDeploymentRequest } from '../../core/deploy/request.js';
import { readJsonFile } from '../../adapters/input/files.js';
import { UsageError, write, type CliIo } from '../io.js';
import { outputWidth, wideOption, type WideOption } from '../options.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 500;

function positiveCount(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > MAX_LIMIT) throw new UsageError(`--limit ${text}: a whole number from 1 to ${MAX_LIMIT}`);
  return count;
}

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
    .option('--limit <count>', 'how many of the newest deployments to list', positiveCount, DEFAULT_LIMIT)
    .addOption(wideOption())
    .action(async (id: string | undefined, options: { format: 'table' | 'json'; limit: number } & WideOption) => {
      const { describeDeployments } = await import('../actions/deploy-commands.js');
      await write(io.stdout, await describeDeployments(io, id, { format: options.format, limit: options.limit, width: outputWidth(options, io.stdoutColumns) }));
    });
}
