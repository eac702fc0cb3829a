import { status } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import type { Broker } from './broker.js';
import type { SubscriptionSettings } from './subscription-settings.js';
import { invalidArgument, PubSubFailure, unimplemented } from './errors.js';
import type { OutgoingMessage } from './message.js';
import type { ReceivedMessage, StreamSession } from './pull-delivery.js';
import { asRecord, bytesField, numberArrayField, numberField, recordArrayField, recordField, stringArrayField, stringField, stringMapField } from './wire.js';
import type { WireRecord } from './wire.js';

export interface GrpcServices {
  publisher: grpc.UntypedServiceImplementation;
  subscriber: grpc.UntypedServiceImplementation;
  /** Ends every open StreamingPull call with the given status. */
  endStreams(failure: PubSubFailure): void;
}

/** Handlers for google.pubsub.v1.Publisher and Subscriber; RPCs left out answer UNIMPLEMENTED. */
export function createGrpcServices(broker: Broker): GrpcServices {
  const openStreams = new Set<StreamingPullCall>();
  return {
    publisher: publisherMethods(broker),
    subscriber: {
      ...subscriberMethods(broker),
      StreamingPull: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        openStreams.add(new StreamingPullCall(broker, call, (stream) => openStreams.delete(stream)));
      },
    },
    endStreams: (failure) => {
      for (const stream of [...openStreams]) stream.terminate(failure);
    },
  };
}

function publisherMethods(broker: Broker): grpc.UntypedServiceImplementation {
  return {
    CreateTopic: unary((topic) => broker.insertTopic(stringField(topic, 'name'), topic)),
    GetTopic: unary((request) => broker.getTopic(stringField(request, 'topic'))),
    ListTopics: unary((request) => ({ topics: broker.listTopics(stringField(request, 'project')), nextPageToken: '' })),
    ListTopicSubscriptions: unary((request) => ({ subscriptions: broker.listTopicSubscriptions(stringField(request, 'topic')), nextPageToken: '' })),
    DeleteTopic: unary((request) => {
      broker.deleteTopic(stringField(request, 'topic'));
      return {};
    }),
    Publish: unary((request) => ({
      messageIds: broker.publish(stringField(request, 'topic'), recordArrayField(request, 'messages').map(outgoingMessage)),
    })),
  };
}

function subscriberMethods(broker: Broker): grpc.UntypedServiceImplementation {
  return {
    CreateSubscription: unary((subscription) => broker.insertSubscription(subscriptionSettings(subscription), subscription)),
    GetSubscription: unary((request) => broker.getSubscription(stringField(request, 'subscription'))),
    ListSubscriptions: unary((request) => ({ subscriptions: broker.listSubscriptions(stringField(request, 'project')), nextPageToken: '' })),
    DeleteSubscription: unary((request) => {
      broker.deleteSubscription(stringField(request, 'subscription'));
      return {};
    }),
    Pull: unary((request) => ({ receivedMessages: broker.pull(stringField(request, 'subscription'), numberField(request, 'maxMessages')) })),
    Acknowledge: unary((request) => {
      broker.acknowledge(stringField(request, 'subscription'), stringArrayField(request, 'ackIds'));
      return {};
    }),
    ModifyAckDeadline: unary((request) => {
      broker.modifyAckDeadline(stringField(request, 'subscription'), stringArrayField(request, 'ackIds'), numberField(request, 'ackDeadlineSeconds'));
      return {};
    }),
  };
}

function unary(handler: (request: WireRecord) => object): grpc.handleUnaryCall<unknown, object> {
  return (call, callback) => {
    try {
      callback(null, handler(asRecord(call.request)));
    } catch (error) {
      callback(toServiceError(error));
    }
  };
}

function outgoingMessage(message: WireRecord): OutgoingMessage {
  return { data: bytesField(message, 'data'), attributes: stringMapField(message, 'attributes'), orderingKey: stringField(message, 'orderingKey') };
}

/** proto-loader fills unset fields with defaults, so 0 and '' mean "not set" here. */
function subscriptionSettings(subscription: WireRecord): SubscriptionSettings {
  // Silently delivering everything would make filter bugs invisible; refuse instead.
  if (stringField(subscription, 'filter')) throw unimplemented('The fake Pub/Sub server does not support subscription filters.');
  const pushConfig = recordField(subscription, 'pushConfig') ?? {};
  const deadLetterPolicy = recordField(subscription, 'deadLetterPolicy') ?? {};
  const deadLetterTopic = stringField(deadLetterPolicy, 'deadLetterTopic');
  return {
    name: stringField(subscription, 'name'),
    topic: stringField(subscription, 'topic'),
    pushEndpoint: stringField(pushConfig, 'pushEndpoint') || undefined,
    deadLetterTopic: deadLetterTopic || undefined,
    maxDeliveryAttempts: (deadLetterTopic && numberField(deadLetterPolicy, 'maxDeliveryAttempts')) || undefined,
    ackDeadlineSeconds: numberField(subscription, 'ackDeadlineSeconds') || undefined,
    // The gRPC API has no such knob: concurrency belongs to the receiving service.
    maxInFlight: undefined,
  };
}

export function toServiceError(error: unknown): grpc.ServerErrorResponse {
  const failure = asFailure(error);
  return { name: failure.name, message: failure.message, code: failure.code, details: failure.message };
}

function asFailure(error: unknown): PubSubFailure {
  if (error instanceof PubSubFailure) return error;
  return new PubSubFailure(status.INTERNAL, error instanceof Error ? error.message : String(error));
}

// What the Node client asks for; used until the first request says otherwise.
const DEFAULT_STREAM_ACK_DEADLINE_SECONDS = 10;

/**
 * One StreamingPull call. The first request names the subscription; later ones are keepalives (all
 * defaults, every 30 s), deadline changes, or in-stream acks from clients other than Node's. The call is
 * never ended with OK while the client still listens: the Node client treats OK as fatal, not as "reconnect".
 */
class StreamingPullCall implements StreamSession {
  ackDeadlineSeconds = DEFAULT_STREAM_ACK_DEADLINE_SECONDS;
  maxOutstandingMessages = 0;
  outstanding = 0;
  private subscription: string | undefined;
  private detach: (() => void) | undefined;
  private finished = false;

  constructor(
    private readonly broker: Broker,
    private readonly call: grpc.ServerDuplexStream<unknown, unknown>,
    private readonly onFinished: (stream: StreamingPullCall) => void,
  ) {
    call.on('data', (request: unknown) => this.receive(asRecord(request)));
    // A half-close comes from subscription.close(): the client has stopped listening, so OK is safe.
    call.on('end', () => this.finish(() => call.end()));
    call.on('cancelled', () => this.finish());
    call.on('error', () => this.finish());
  }

  send(messages: ReceivedMessage[]): void {
    if (!this.finished) this.call.write({ receivedMessages: messages });
  }

  terminate(failure: PubSubFailure): void {
    // grpc-js turns an 'error' event on a server stream into the call's final status.
    this.finish(() => this.call.emit('error', toServiceError(failure)));
  }

  private receive(request: WireRecord): void {
    try {
      if (this.subscription === undefined) this.open(request);
      else this.adjust(request);
      this.applyAcks(request);
    } catch (error) {
      this.terminate(asFailure(error));
    }
  }

  private open(request: WireRecord): void {
    const subscription = stringField(request, 'subscription');
    if (!subscription) throw invalidArgument('The first StreamingPullRequest must name a subscription.');
    this.ackDeadlineSeconds = numberField(request, 'streamAckDeadlineSeconds') || DEFAULT_STREAM_ACK_DEADLINE_SECONDS;
    this.maxOutstandingMessages = numberField(request, 'maxOutstandingMessages');
    this.subscription = subscription;
    this.detach = this.broker.attachStream(subscription, this);
  }

  /** A keepalive carries only defaults and changes nothing; a non-zero deadline replaces the stream's. */
  private adjust(request: WireRecord): void {
    const deadline = numberField(request, 'streamAckDeadlineSeconds');
    if (deadline > 0) this.ackDeadlineSeconds = deadline;
  }

  private applyAcks(request: WireRecord): void {
    const { subscription } = this;
    if (subscription === undefined) return;
    const ackIds = stringArrayField(request, 'ackIds');
    if (ackIds.length > 0) this.broker.acknowledge(subscription, ackIds);
    const modifySeconds = numberArrayField(request, 'modifyDeadlineSeconds');
    stringArrayField(request, 'modifyDeadlineAckIds').forEach((ackId, index) => this.broker.modifyAckDeadline(subscription, [ackId], modifySeconds[index] ?? 0));
  }

  private finish(then?: () => void): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinished(this);
    this.detach?.();
    then?.();
  }
}
