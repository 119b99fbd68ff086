/**
 * The plumbing between grpc-js and the emulated APIs: coded errors, call recording, scripted
 * faults and delays, in one place so each API module only says what the platform answers.
 */
import {
  Metadata,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { z } from 'zod';

import type { Faults } from './faults.js';
import type { Clock, RecordedCall } from './types.js';

export { status as GrpcStatus } from '@grpc/grpc-js';

/** An error the platform answers with: a gRPC status code and its message. */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export const invalidArgument = (message: string): RpcError => new RpcError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string): RpcError => new RpcError(status.NOT_FOUND, message);
export const failedPrecondition = (message: string): RpcError => new RpcError(status.FAILED_PRECONDITION, message);

/** Parses a decoded request; a shape we cannot read is the caller's fault, as on the platform. */
export function parseRequest<T extends z.ZodType>(schema: T, request: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw invalidArgument(`Invalid ${what}${where ? ` at '${where}'` : ''}: ${issue?.message ?? 'unreadable request'}`);
  }
  return parsed.data;
}

export type UnaryHandler = (request: unknown) => Promise<object> | object;

export interface RpcContext {
  readonly clock: Clock;
  readonly faults: Faults;
  readonly calls: RecordedCall[];
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Builds a grpc-js implementation of `definition` from plain handlers. Methods without a
 * handler are left out, so grpc-js answers UNIMPLEMENTED for them, as a real server would
 * for a method it does not serve.
 */
export function implement(
  definition: ServiceDefinition,
  context: RpcContext,
  handlers: Record<string, UnaryHandler>,
): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [rpc, handler] of Object.entries(handlers)) {
    const method = definition[rpc];
    if (method === undefined) throw new Error(`${rpc} is not a method of this service`);
    implementation[rpc] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      context.calls.push({ rpc, path: method.path, request: call.request, at: context.clock.now() });
      void answer(rpc, handler, call.request, context).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error)),
      );
    };
  }
  return implementation;
}

async function answer(rpc: string, handler: UnaryHandler, request: unknown, context: RpcContext): Promise<object> {
  const delay = context.faults.delayFor(rpc);
  if (delay > 0) await context.sleep(delay);
  if (context.faults.takeUnavailable(rpc)) {
    throw new RpcError(status.UNAVAILABLE, 'The service is currently unavailable.');
  }
  return handler(request);
}

function toServiceError(error: unknown): { code: status; details: string; metadata: Metadata } {
  if (error instanceof RpcError) return { code: error.code, details: error.message, metadata: new Metadata() };
  // A bug in the emulator, not a platform answer: say so loudly rather than pass it off as one.
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: status.INTERNAL, details: `emulator bug: ${message}`, metadata: new Metadata() };
}
