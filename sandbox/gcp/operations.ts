/**
 * google.longrunning.Operations for both APIs. An operation is rendered on every
 * GetOperation from the live state of what it tracks, so its metadata moves as the build or
 * rollout does, exactly what a poller sees on the platform.
 */
import { z } from 'zod';

import type { GcpProtos } from './protos.js';
import { notFound, parseRequest, type UnaryHandler } from './rpc.js';

export interface OperationMessage {
  name: string;
  done: boolean;
  metadata: { typeUrl: string; value: Buffer } | null;
  response?: { typeUrl: string; value: Buffer };
  error?: { code: number; message: string; details: never[] };
}

export type OperationRenderer = () => OperationMessage;

const GetOperationRequest = z.object({ name: z.string() });

export class OperationStore {
  private readonly operations = new Map<string, OperationRenderer>();

  constructor(private readonly protos: GcpProtos) {}

  register(name: string, render: OperationRenderer): OperationMessage {
    this.operations.set(name, render);
    return render();
  }

  get(name: string): OperationMessage | undefined {
    return this.operations.get(name)?.();
  }

  handlers(): Record<string, UnaryHandler> {
    return {
      GetOperation: (request) => {
        const { name } = parseRequest(GetOperationRequest, request, 'GetOperationRequest');
        const operation = this.get(name);
        if (!operation) throw notFound(`Operation "${name}" not found.`);
        return operation;
      },
    };
  }

  get packAny(): GcpProtos['packAny'] {
    return this.protos.packAny;
  }
}
