/**
 * gRPC failures of the Google Cloud SDKs as the ports' `ExternalError`s: a stable code the pipeline acts on and
 * Google's own message for people. Anything that is not a gRPC status (a bug, a shape we could not read) is left
 * as it is, so it is never mistaken for an answer from the platform.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

import { ExternalError } from '../../deploy/ports/index.js';

export type GcpService = 'cloud-build' | 'cloud-run' | 'cloud-logging';
type ErrorCode = ExternalError['code'];

/**
 * The gRPC status of a failed call: GoogleError and grpc-js ServiceError carry a numeric `code`, and so does an
 * operation's `error` (google.rpc.Status).
 */
export function grpcStatusOf(error: unknown): GrpcStatus | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'number' && GrpcStatus[code] !== undefined ? code : undefined;
}

/** The platform's message without grpc-js's `3 INVALID_ARGUMENT: ` prefix. */
export function grpcMessageOf(error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error);
  const details: unknown = Reflect.get(error, 'details');
  if (typeof details === 'string' && details !== '') return details;
  const message: unknown = Reflect.get(error, 'message');
  return typeof message === 'string' ? message.replace(/^\d+ [A-Z_]+: /, '') : JSON.stringify(error);
}

const CODES: Partial<Record<GrpcStatus, ErrorCode>> = {
  [GrpcStatus.UNAVAILABLE]: 'unavailable',
  [GrpcStatus.INTERNAL]: 'unavailable',
  [GrpcStatus.UNKNOWN]: 'unavailable',
  [GrpcStatus.CANCELLED]: 'unavailable',
  [GrpcStatus.NOT_FOUND]: 'not_found',
  [GrpcStatus.INVALID_ARGUMENT]: 'rejected',
  [GrpcStatus.FAILED_PRECONDITION]: 'rejected',
  [GrpcStatus.ALREADY_EXISTS]: 'rejected',
  [GrpcStatus.OUT_OF_RANGE]: 'rejected',
  [GrpcStatus.UNIMPLEMENTED]: 'rejected',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'rate_limited',
  [GrpcStatus.UNAUTHENTICATED]: 'unauthenticated',
  [GrpcStatus.PERMISSION_DENIED]: 'unauthenticated',
  [GrpcStatus.ABORTED]: 'conflict',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'timeout',
};

/** The port's code for a gRPC status. */
export function externalCodeOf(status: GrpcStatus): ErrorCode {
  return CODES[status] ?? 'unavailable';
}

/** `error` as an ExternalError of `service` when it is a gRPC failure; otherwise `error` itself. */
export function toExternalError(service: GcpService, error: unknown, doing: string): Error {
  if (error instanceof ExternalError) return error;
  const status = grpcStatusOf(error);
  if (status === undefined) return error instanceof Error ? error : new Error(String(error));
  return new ExternalError(service, externalCodeOf(status), `${doing}: ${GrpcStatus[status]}: ${grpcMessageOf(error)}`);
}

/** Runs one SDK call and turns its gRPC failure into an ExternalError. */
export async function calling<T>(service: GcpService, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error: unknown) {
    throw toExternalError(service, error, doing);
  }
}
