/**
 * Where each local server listens. With a base port, servers take consecutive ports in this order
 * (so a firewall rule or a port forward can be written once); without, each takes a free port.
 * The dashboard, the one a person opens, can be placed on its own.
 */
export const LOCAL_SERVERS = [
  'dashboard',
  'firestore',
  'pubsub',
  'pubsubAdmin',
  'gke',
  'computeAndDns',
  'kubernetes',
  'logging',
  'chat',
  'smtp',
  'storage',
  'cloudBuild',
  'workflows',
  'workflowCallbacks',
  'logSink',
  'healthSweep',
  'notifier',
  'deployTrigger',
  'stageRunner',
] as const;
export type LocalServer = (typeof LOCAL_SERVERS)[number];

export interface PortSettings {
  base?: number;
  dashboard?: number;
}

const MAX_PORT = 65_535;

export function checkPortSettings(settings: PortSettings): void {
  if (settings.base !== undefined && (!Number.isInteger(settings.base) || settings.base < 1024 || settings.base + LOCAL_SERVERS.length - 1 > MAX_PORT)) {
    throw new RangeError(`--port-base ${settings.base}: needs ${LOCAL_SERVERS.length} ports from 1024 up to ${MAX_PORT}`);
  }
  if (settings.dashboard !== undefined && (!Number.isInteger(settings.dashboard) || settings.dashboard < 0 || settings.dashboard > MAX_PORT)) {
    throw new RangeError(`--dashboard-port ${settings.dashboard}: not a port (0 picks a free one)`);
  }
  const { base, dashboard } = settings;
  if (base !== undefined && dashboard !== undefined && dashboard > base && dashboard < base + LOCAL_SERVERS.length) {
    const taken = LOCAL_SERVERS[dashboard - base]!;
    throw new RangeError(`--dashboard-port ${dashboard} is ${taken}'s port under --port-base ${base}: choose a port outside ${base}-${base + LOCAL_SERVERS.length - 1}, or ${base}`);
  }
}

/** The port for a server: 0 means any free port. */
export function portFor(settings: PortSettings, server: LocalServer): number {
  if (server === 'dashboard' && settings.dashboard !== undefined) return settings.dashboard;
  return settings.base === undefined ? 0 : settings.base + LOCAL_SERVERS.indexOf(server);
}
