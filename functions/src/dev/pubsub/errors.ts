import { status } from '@grpc/grpc-js';

/**
 * A failure carrying the gRPC status the real service would answer with, so one throw site serves both
 * the gRPC handlers and the admin HTTP server (which maps the code to an HTTP status).
 */
export class PubSubFailure extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'PubSubFailure';
  }
}

// Messages follow the real service's wording, so client-side error handling written against them keeps working.
export const notFound = (resource: string): PubSubFailure => new PubSubFailure(status.NOT_FOUND, `Resource not found (resource=${resource}).`);
export const alreadyExists = (resource: string): PubSubFailure =>
  new PubSubFailure(status.ALREADY_EXISTS, `Resource already exists in the project (resource=${resource}).`);
export const invalidArgument = (message: string): PubSubFailure => new PubSubFailure(status.INVALID_ARGUMENT, message);
export const unavailable = (message: string): PubSubFailure => new PubSubFailure(status.UNAVAILABLE, message);
export const unimplemented = (message: string): PubSubFailure => new PubSubFailure(status.UNIMPLEMENTED, message);
export const failedPrecondition = (message: string): PubSubFailure => new PubSubFailure(status.FAILED_PRECONDITION, message);
