import type { Command } from 'commander';
import { Option } from 'commander';
import { FINDING_STATUSES, type FindingStatus } from '../../core/pipeline/finding-record.js';
import { renderDocument } from '../../core/report/findings-report.js';
import { write, type CliIo } from '../io.js';
import { outputFormat, outputWidth, wideOption, type OutputOptions } from '../options.js';

export function registerFindings(program: Command, io: CliIo): void {
  const findings = program
    .command('findings')
    .description('findings recorded by the pipeline (Firestore `findings`), from the local stack or KFGUARD_PROJECT')
    .addOption(new Option('--status <status>', 'only findings in this status').choices(FINDING_STATUSES))
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices(['table', 'json', 'markdown']))
    .addOption(wideOption())
    .action(async (options: { status?: FindingStatus } & Pick<OutputOptions, 'format' | 'wide'>) => {
      const { findingsDocument } = await import('../actions/firestore-commands.js');
      const document = await findingsDocument(io, options.status);
      await write(io.stdout, renderDocument(document, outputFormat({ format: options.format, failOn: 'none' }, io.stdoutIsTTY), outputWidth(options, io.stdoutColumns)));
    });
  for (const [verb, status] of [
    ['mute', 'muted'],
    ['unmute', 'open'],
  ] as const) {
    findings
      .command(`${verb} <id>`)
      .description(verb === 'mute' ? 'stop notifying about a finding (it is still counted)' : 'notify about a finding again')
      .action(async (id: string) => {
        const { setFindingStatus } = await import('../actions/firestore-commands.js');
        const full = await setFindingStatus(io, id, status);
        await write(io.stdout, `${full}: ${status}\n`);
      });
  }
}
