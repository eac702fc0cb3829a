import type { Command } from 'commander';
import { UsageError, type CliIo } from '../io.js';

function fraction(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new UsageError(`--duplicates: "${text}" is not a fraction between 0 and 1`);
  return value;
}

function seconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`"${text}" is not a number of seconds`);
  return value;
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new UsageError(`"${text}" is not a port number`);
  return value;
}

export interface PortOptions {
  portBase?: number;
  dashboardPort?: number;
}

/** Where the local stack listens: the dashboard on its own port, everything else from a base port, or free ports. */
export function addPortOptions(command: Command, dashboardDefault?: number): Command {
  return command
    .option('--port-base <port>', 'listen on consecutive ports from here (dashboard first; order in functions/src/dev/ports.ts) instead of free ports', port)
    .option('--dashboard-port <port>', `the dashboard's port (0: a free one)${dashboardDefault === undefined ? '' : `; default ${dashboardDefault}`}`, port, dashboardDefault);
}

export function portSettings(options: PortOptions): { base?: number; dashboard?: number } {
  return { ...(options.portBase === undefined ? {} : { base: options.portBase }), ...(options.dashboardPort === undefined ? {} : { dashboard: options.dashboardPort }) };
}

export function registerDev(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const dev = program.command('dev').description('the local stack: every function against local servers that speak the real protocols');
  addPortOptions(
    dev
      .command('up')
      .description('start the local stack and keep it running until Ctrl-C (writes .kfguard/dev.json)')
      .option('--scenario <file>', 'scenario for the fake GKE, Compute, DNS, Kubernetes and Logging APIs')
      .option('--sweep-every <seconds>', 'Cloud Scheduler stand-in: a health sweep this often (0: never)', seconds, 60),
  ).action(async (options: { scenario?: string; sweepEvery: number } & PortOptions) => {
    const { devUp } = await import('../actions/dev-commands.js');
    setExit(await devUp(io, { ...options, ports: portSettings(options) }));
  });
  dev
    .command('replay')
    .description('publish log entries to the sink topic as a Logging sink would, and wait until every one is delivered')
    .argument('<files...>', 'LogEntries in any format analyze accepts')
    .option('--duplicates <fraction>', 'also re-publish this fraction of the entries, as an at-least-once sink does', fraction, 0)
    .option('--timeout <seconds>', 'give up waiting for deliveries after this long', seconds, 120)
    .action(async (files: string[], options: { duplicates: number; timeout: number }) => {
      const { devReplay } = await import('../actions/dev-commands.js');
      setExit(await devReplay(io, files, options));
    });
}
