import type { Command } from 'commander';
import { checkPortSettings, type PortSettings } from '../../dev/ports.js';
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
  const otherwise = dashboardDefault === undefined ? 'a free one' : `${dashboardDefault}`;
  return command
    .option('--port-base <port>', 'listen on consecutive ports from here, the dashboard on the first (order in functions/src/dev/ports.ts), instead of free ports', port)
    .option('--dashboard-port <port>', `the dashboard's port (0: a free one; default: the base port with --port-base, else ${otherwise})`, port);
}

/** The ports asked for; a command's own dashboard default applies only when no base port was given. */
export function portSettings(options: PortOptions, dashboardDefault?: number): PortSettings {
  const dashboard = options.dashboardPort ?? (options.portBase === undefined ? dashboardDefault : undefined);
  const settings = { ...(options.portBase === undefined ? {} : { base: options.portBase }), ...(dashboard === undefined ? {} : { dashboard }) };
  try {
    checkPortSettings(settings);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return settings;
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
