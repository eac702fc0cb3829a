/** A message as stored once it has been accepted by Publish. */
export interface StoredMessage {
  readonly id: string;
  readonly topic: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string;
  readonly publishTime: Date;
}

/** What a publisher hands in, before the server assigns an id and a publish time. */
export interface OutgoingMessage {
  data: Buffer;
  attributes?: Record<string, string>;
  orderingKey?: string;
}

/** One message on its way to one subscription. */
export interface Delivery {
  readonly message: StoredMessage;
  /** Delivery attempts so far: 1 + nacks + expired deadlines (pull) or failed POSTs (push). */
  attempts: number;
}

export interface ProtoTimestamp {
  seconds: string;
  nanos: number;
}

export function protoTimestamp(date: Date): ProtoTimestamp {
  const millis = date.getTime();
  return { seconds: String(Math.floor(millis / 1000)), nanos: (millis % 1000) * 1_000_000 };
}

/** google.pubsub.v1.PubsubMessage, as grpc-js serialises it. */
export function toProtoMessage(message: StoredMessage): Record<string, unknown> {
  return {
    data: message.data,
    attributes: { ...message.attributes },
    messageId: message.id,
    publishTime: protoTimestamp(message.publishTime),
    orderingKey: message.orderingKey,
  };
}
