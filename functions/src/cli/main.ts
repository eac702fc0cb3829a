import { Command, CommanderError } from 'commander';
import { InputError } from '../adapters/input/files.js';
import { EXIT_OK, EXIT_USAGE, UsageError, write, type CliIo } from './io.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerCheck } from './commands/check.js';
import { registerPlan } from './commands/plan.js';
import { registerDocs } from './commands/docs.js';
import { registerDeploy } from './commands/deploy.js';
import { registerBlueprint } from './commands/blueprint.js';
import { registerDev } from './commands/dev.js';
import { registerFindings } from './commands/findings.js';
import { registerClusters } from './commands/clusters.js';
import { registerDemo } from './commands/demo.js';

export const VERSION = '0.1.0';

/** The kfguard program with every command; each command reports its exit code through `setExit`. */
export function kfguardProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('kfguard')
    .description('Diagnose and automate Kubeflow on private GKE')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run kfguard help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Commander's usage errors read like kfguard's own: "kfguard: option '--format ...".
      outputError: (text, write) => write(text.replace(/^error: /, 'kfguard: ')),
    });
  registerAnalyze(program, io, setExit);
  registerCheck(program, io, setExit);
  registerPlan(program, io, setExit);
  registerFindings(program, io);
  registerClusters(program, io);
  registerDev(program, io, setExit);
  registerBlueprint(program, io);
  registerDeploy(program, io);
  registerDocs(program, io);
  registerDemo(program, io, setExit);
  return program;
}

/** Runs the kfguard CLI with the given arguments (without node and script) and returns the exit code. */
export async function run(args: string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = kfguardProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof UsageError || error instanceof InputError) {
      await write(io.stderr, `kfguard: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
