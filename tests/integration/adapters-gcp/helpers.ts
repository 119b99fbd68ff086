/**
 * The Google Cloud emulator with the sample ÉMERGENCE service, and the real SDK clients pointed at it through
 * `createGcpClients`, for the adapter tests.
 */
import { emergenceRuntime, type EmergenceRuntime } from '../../../sandbox/emergence/index.js';
import { startGcpEmulator, type GcpEmulator, type GcpTimings } from '../../../sandbox/gcp/index.js';
import { createGcpClients, type GcpClients } from '../../../src/adapters/gcp/clients.js';
import type { Clock } from '../../../src/deploy/ports/index.js';

export const PROJECT = 'emergence-prod';
export const REGION = 'europe-west1';
export const REPOSITORY = `${REGION}-docker.pkg.dev/${PROJECT}/app`;
export const IMAGE = `${REPOSITORY}/emergence-app`;
export const CURRENT_TAG = 'deploy-20251008-183707';
export const NEXT_TAG = 'deploy-20251009-073931';

export const FAST: Partial<GcpTimings> = { buildQueueMs: 10, buildStepMs: 15, revisionReadyMs: 20, trafficUpdateMs: 5 };

/** The sample service's runtime, whose container starts can be held to keep a rollout in progress. */
export interface GatedRuntime extends EmergenceRuntime {
  /** Containers starting from now on wait until the returned function is called. */
  holdStarts(): () => void;
}

export function gatedRuntime(inner: EmergenceRuntime = emergenceRuntime()): GatedRuntime {
  let gate: Promise<void> | undefined;
  return {
    async start(spec) {
      if (gate) await gate;
      return inner.start(spec);
    },
    faults: (revision) => inner.faults(revision),
    service: (revision) => inner.service(revision),
    store: (project, region, service) => inner.store(project, region, service),
    stopAll: () => inner.stopAll(),
    holdStarts() {
      let release = (): void => undefined;
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = undefined;
          resolve();
        };
      });
      return release;
    },
  };
}

export interface Sandbox {
  readonly emulator: GcpEmulator;
  readonly runtime: GatedRuntime;
  readonly clients: GcpClients;
  close(): Promise<void>;
}

export async function startSandbox(): Promise<Sandbox> {
  const runtime = gatedRuntime();
  const emulator = await startGcpEmulator({ runtime, timings: FAST });
  const clients = createGcpClients({ apiEndpoint: emulator.endpoint, projectId: PROJECT });
  return {
    emulator,
    runtime,
    clients,
    async close() {
      await clients.close();
      await emulator.close();
      await runtime.stopAll();
    },
  };
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when the code under test sleeps: deadlines pass without waiting for them. */
export class SleepDrivenClock implements Clock {
  private current = Date.now();
  readonly sleeps: number[] = [];
  now(): Date {
    return new Date(this.current);
  }
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.current += ms;
    await new Promise((resolve) => setImmediate(resolve));
  };
}

/** Polls `read` until `done` holds (at most `ms`), returning the last value read. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const giveUpAt = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > giveUpAt) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The rejection of a promise that must fail. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected the call to fail');
}

export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}
