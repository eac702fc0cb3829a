import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { corpusEntries } from '../../functions/src/dev/corpus.js';
import { DevStack } from '../../functions/src/dev/stack.js';
import { TOPICS } from '../../functions/src/core/pipeline/names.js';
import { diagnoseEntry } from '../../functions/src/core/diagnosis/engine.js';
import { emptyClusterModel } from '../../functions/src/core/model/cluster.js';

export interface PipelineBench {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Successful Firestore commits per event that logSink keeps (the design's one atomic commit). */
  commitsPerEvent: number;
  /** Commits refused and retried, per recorded event: concurrent first sightings racing on create(). */
  retriedCommitsPerEvent: number;
  findings: number;
}

/** What the Logging sink lets through: DENIED firewall entries, webhook failures and GKE audit entries. */
function sinkEvents(count: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const entry of corpusEntries({ entries: count * 4, deniedFraction: 0.5, seed: 7 })) {
    const payload = entry['jsonPayload'] as { disposition?: string } | undefined;
    if (payload?.disposition === 'ALLOWED') continue;
    events.push(entry);
    if (events.length === count) break;
  }
  return events;
}

/**
 * Events per second through the local pipeline as it runs in production: the real Pub/Sub client
 * publishes to the local Pub/Sub, which pushes CloudEvents to logSink under functions-framework,
 * which commits to the Firestore emulator. The emulator counts the commits.
 */
export async function benchPipeline(count: number): Promise<PipelineBench> {
  const events = sinkEvents(count);
  // No cluster is registered, so logSink diagnoses with what each entry says, as here.
  const model = emptyClusterModel();
  // Every event logSink keeps writes once: a finding, an operation's state, or a rejection. Ignored ones write nothing.
  const recorded = events.filter((entry) => diagnoseEntry(entry, { model }).kind !== 'ignored').length;
  // The functions' log lines are formatted as in production, then dropped: the table is the output.
  const stack = await DevStack.start({ functions: ['logSink'], functionLogs: () => undefined });
  const pubsub = new PubSub({ projectId: stack.projectId });
  const db = new Firestore({ projectId: stack.projectId });
  try {
    if (!stack.firestore) throw new Error('the pipeline bench counts commits in the in-process emulator: unset FIRESTORE_EMULATOR_HOST');
    const topic = pubsub.topic(TOPICS.logEvents, { batching: { maxMessages: 100, maxMilliseconds: 5 } });
    const commitsBefore = stack.firestore.callCount('Commit');
    const failedBefore = stack.firestore.callCount('Commit:failed');
    const started = performance.now();
    await Promise.all(events.map((entry) => topic.publishMessage({ data: Buffer.from(JSON.stringify(entry)), attributes: { 'logging.googleapis.com/timestamp': String(entry['timestamp']) } })));
    await stack.pubsub.waitForIdle(600_000);
    const seconds = (performance.now() - started) / 1000;
    const failed = stack.firestore.callCount('Commit:failed') - failedBefore;
    const commits = stack.firestore.callCount('Commit') - commitsBefore - failed;
    const findings = (await db.collection('findings').get()).size;
    return { events: events.length, seconds, eventsPerSecond: events.length / seconds, commitsPerEvent: commits / recorded, retriedCommitsPerEvent: failed / recorded, findings };
  } finally {
    await db.terminate();
    await pubsub.close();
    await stack.stop();
  }
}
