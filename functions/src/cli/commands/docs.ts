import type { Command } from 'commander';
import { ALL_RULES } from '../../core/rules/index.js';
import { renderRulesDoc } from '../../core/report/rules-doc.js';
import { write, type CliIo } from '../io.js';

export function registerDocs(program: Command, io: CliIo): void {
  program
    .command('docs')
    .description('print generated documentation')
    .command('rules')
    .description('every diagnosis rule with its id, severity, why and remediation (docs/rules.md)')
    .action(async () => {
      await write(io.stdout, renderRulesDoc(ALL_RULES));
    });
}
