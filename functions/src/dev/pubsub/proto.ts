import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export interface PubSubServiceDefinitions {
  publisher: grpc.ServiceDefinition;
  subscriber: grpc.ServiceDefinition;
}

const require = createRequire(import.meta.url);
let cached: PubSubServiceDefinitions | undefined;

/** The google.pubsub.v1 services, built from the very .proto files the installed client library ships. */
export function pubSubServiceDefinitions(): PubSubServiceDefinitions {
  if (cached) return cached;
  const definition = protoLoader.loadSync('google/pubsub/v1/pubsub.proto', {
    includeDirs: protoIncludeDirs(),
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const v1 = namespace(namespace(namespace(grpc.loadPackageDefinition(definition), 'google'), 'pubsub'), 'v1');
  cached = { publisher: service(v1, 'Publisher'), subscriber: service(v1, 'Subscriber') };
  return cached;
}

function protoIncludeDirs(): string[] {
  const pubsubMain = require.resolve('@google-cloud/pubsub');
  const pubsubProtos = path.join(path.dirname(require.resolve('@google-cloud/pubsub/package.json')), 'build', 'protos');
  // google-gax's exports map hides its package.json, so locate its entry point (from pubsub, to get the copy
  // pubsub itself uses) and climb to build/protos, which holds google/api and google/protobuf.
  const gaxMain = createRequire(pubsubMain).resolve('google-gax');
  return [pubsubProtos, path.join(path.dirname(gaxMain), '..', 'protos')];
}

function namespace(parent: grpc.GrpcObject, key: string): grpc.GrpcObject {
  const child = parent[key];
  if (child === undefined || typeof child === 'function' || 'format' in child) throw new Error(`pubsub.proto: no namespace "${key}"`);
  return child;
}

function service(parent: grpc.GrpcObject, key: string): grpc.ServiceDefinition {
  const child = parent[key];
  if (typeof child !== 'function') throw new Error(`pubsub.proto: no service "${key}"`);
  return child.service;
}
