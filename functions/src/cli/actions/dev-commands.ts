import { PubSub } from '@google-cloud/pubsub';
import { TOPICS } from '../../core/pipeline/names.js';
import { isAlive, readDevState, DEV_STATE_FILE, useLocalStackIfRunning } from '../../adapters/local-stack.js';
import { InputError, openInput } from '../../adapters/input/files.js';
import { readLogStream } from '../../adapters/input/log-reader.js';
import { DevStack } from '../../dev/stack.js';
import { loadScenario } from '../../dev/scenario.js';
import type { PortSettings } from '../../dev/ports.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, write, type CliIo } from '../io.js';

const READY_LINE = 'kfguard dev: ready';

/** One stack per folder: `.kfguard/dev.json` is how the other commands find it. A stale file (its process gone) is replaced. */
export function refuseSecondStack(io: CliIo): void {
  const existing = readDevState(io.cwd);
  if (existing && isAlive(existing.pid)) throw new UsageError(`a local stack is already running here (pid ${existing.pid}); stop it first`);
}

/** `kfguard dev up`: start, print the endpoints, wait for Ctrl-C, stop cleanly. */
export async function devUp(io: CliIo, options: { scenario?: string; sweepEvery: number; ports: PortSettings }): Promise<number> {
  refuseSecondStack(io);
  // Listening from the start: a Ctrl-C while the servers come up still stops them all.
  const interrupted = io.untilInterrupted();
  const scenario = options.scenario ? loadScenario(options.scenario) : undefined;
  const stack = await DevStack.start({
    scenario,
    stateDir: io.cwd,
    sweepIntervalMs: options.sweepEvery * 1000,
    ports: options.ports,
    log: (line) => io.stderr.write(`kfguard dev: ${line}\n`),
    traffic: (line) => io.stderr.write(`kfguard dev: ${line}\n`),
  });
  const state = stack.state();
  await write(io.stdout, `${READY_LINE} (project ${state.projectId}, endpoints in ${DEV_STATE_FILE}; dashboard ${stack.functionUrl('dashboard')})\n${JSON.stringify(state.endpoints, null, 2)}\n`);
  await interrupted;
  await write(io.stderr, 'kfguard dev: stopping\n');
  await stack.stop();
  await write(io.stderr, 'kfguard dev: stopped\n');
  return EXIT_OK;
}


/** A spread-out choice of about `fraction` of the indexes (golden-ratio sequence): the same on every run. */
function chosenForDuplicate(index: number, fraction: number): boolean {
  return ((index + 1) * 0.6180339887) % 1 < fraction;
}

interface MessageStates {
  [messageId: string]: Record<string, string>;
}

async function messageStates(adminUrl: string, messageIds: string[]): Promise<MessageStates> {
  const response = await fetch(`${adminUrl}/admin/message-states`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messageIds }) });
  if (!response.ok) throw new Error(`local Pub/Sub admin answered HTTP ${response.status}`);
  return (await response.json()) as MessageStates;
}

/**
 * `kfguard dev replay`: what a Cloud Logging sink does with matching entries (one message per
 * LogEntry, JSON data, the `logging.googleapis.com/timestamp` attribute), then waits until every
 * message is acknowledged or dead-lettered by the functions.
 */
export async function devReplay(io: CliIo, files: string[], options: { duplicates: number; timeout: number }): Promise<number> {
  const state = useLocalStackIfRunning(io.cwd, process.env);
  if (!state) throw new UsageError(`no local stack is running here (${DEV_STATE_FILE} is missing); run kfguard dev up`);
  const pubsub = new PubSub({ projectId: state.projectId });
  const topic = pubsub.topic(TOPICS.logEvents, { batching: { maxMessages: 500, maxMilliseconds: 5 } });
  const publishes: Promise<string>[] = [];
  let index = 0;
  let duplicates = 0;
  let rejected = 0;
  const publish = (entry: unknown): void => {
    const timestamp = (entry as { timestamp?: unknown }).timestamp;
    const message = { data: Buffer.from(JSON.stringify(entry)), attributes: { 'logging.googleapis.com/timestamp': typeof timestamp === 'string' ? timestamp : new Date().toISOString() } };
    publishes.push(topic.publishMessage(message));
    if (chosenForDuplicate(index++, options.duplicates)) {
      duplicates++;
      publishes.push(topic.publishMessage(message));
    }
  };
  try {
    for (const file of files) {
      try {
        await readLogStream(await openInput(file), file, {
          entry: publish,
          reject: (source, reason) => {
            rejected++;
            io.stderr.write(`kfguard: ${source}: ${reason}\n`);
          },
        });
      } catch (error) {
        if (error instanceof InputError) throw new UsageError(error.message);
        throw error;
      }
    }
    const ids = await Promise.all(publishes);
    const adminUrl = String(state.endpoints['pubsubAdmin']);
    const deadline = Date.now() + options.timeout * 1000;
    let states: MessageStates = {};
    for (;;) {
      states = await messageStates(adminUrl, ids);
      const pending = Object.values(states).flatMap((bySubscription) => Object.values(bySubscription)).filter((each) => each === 'pending').length;
      if (pending === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const outcomes = Object.values(states).flatMap((bySubscription) => Object.values(bySubscription));
    const count = (state: string) => outcomes.filter((each) => each === state).length;
    await write(io.stdout, `published ${ids.length} messages (${ids.length - duplicates} entries, ${duplicates} duplicates; ${rejected} unreadable): ${count('acked')} acknowledged, ${count('dead-lettered')} dead-lettered, ${count('pending')} still pending\n`);
    return count('pending') > 0 ? EXIT_USAGE : count('dead-lettered') + count('dropped') > 0 ? EXIT_FINDINGS : EXIT_OK;
  } finally {
    await pubsub.close();
  }
}
