import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RUN_STATES, type RunState } from '../deploy/run.js';
import type { RequestMetrics } from '../handlers/handler-context.js';

/** The bot's own Prometheus metrics, served on GET /metrics. One registry per app, so tests don't share. */
export interface BotMetrics extends RequestMetrics {
  readonly registry: Registry;
  observeAck(surface: string, seconds: number): void;
}

export function createBotMetrics(countRunsByState: () => Promise<Partial<Record<RunState, number>>>): BotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'liftoff_' });
  const requests = new Counter({
    name: 'liftoff_slack_requests_total',
    help: 'Slack requests handled, by command or interaction and outcome.',
    labelNames: ['surface', 'outcome'] as const,
    registers: [registry],
  });
  const ack = new Histogram({
    name: 'liftoff_slack_ack_seconds',
    help: 'Time from a Slack request arriving to its acknowledgement leaving.',
    labelNames: ['surface'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'liftoff_runs',
    help: 'Deploy runs in the store, by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await countRunsByState();
      for (const state of RUN_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  return {
    registry,
    countRequest: (surface, outcome) => requests.inc({ surface, outcome }),
    observeAck: (surface, seconds) => ack.observe({ surface }, seconds),
  };
}
