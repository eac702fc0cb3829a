import type { Command } from 'commander';
import { samplePath } from '../../adapters/package-root.js';
import { write, type CliIo } from '../io.js';
import { run } from '../main.js';

/** The incident in functions/samples happened on 2026-11-20 from 09:00 UTC; this is "now" for it. */
const SAMPLE_NOW = '2026-11-20T11:10:00Z';

export function registerDemo(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('analyze the bundled private-GKE incident (what npm start runs)')
    .action(async () => {
      const args = ['analyze', samplePath('incident-logs.ndjson'), '--cluster', samplePath('cluster.json'), '--now', SAMPLE_NOW, '--format', 'table', '--fail-on', 'none'];
      await write(io.stdout, `$ kfguard ${args.join(' ')}\n\n`);
      setExit(await run(args, io));
    });
}
