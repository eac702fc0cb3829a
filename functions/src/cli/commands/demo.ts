import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { outputWidth, wideOption, type WideOption } from '../options.js';
import { addPortOptions, portSettings, type PortOptions } from './dev.js';

/** Where `npm start` serves the dashboard unless told otherwise. */
export const DEMO_DASHBOARD_PORT = 8400;

export function registerDemo(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addPortOptions(
    program
      .command('demo')
      .description('what npm start runs: the local stack on the bundled private-GKE incident, through the real path, then the dashboard until Ctrl-C')
      .option('--exit', 'print the report and stop instead of serving the dashboard')
      .addOption(wideOption()),
    DEMO_DASHBOARD_PORT,
  ).action(async (options: { exit?: boolean } & PortOptions & WideOption) => {
    const { runDemo } = await import('../actions/demo.js');
    setExit(
      await runDemo(io, {
        exit: Boolean(options.exit),
        ports: portSettings(options, DEMO_DASHBOARD_PORT),
        width: outputWidth(options, io.stdoutColumns),
      }),
    );
  });
}
