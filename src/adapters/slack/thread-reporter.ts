import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type {
  CanaryCardView,
  Clock,
  FinalReport,
  ProgressView,
  StepReport,
  ThreadReporter,
} from '../../deploy/ports/index.js';
import type { Run } from '../../deploy/run.js';
import type { ChatMessage } from './chat-message.js';
import { honouringRateLimits } from './rate-limited.js';

const postResponse = z.object({ ok: z.literal(true), ts: z.string() });
const permalinkResponse = z.object({ ok: z.literal(true), permalink: z.string() });

/** Slack takes about one chat.update a second a channel; bursts of status edits are merged into the latest. */
export const UPDATE_INTERVAL_MS = 1000;

/** How each message of the thread looks: the src/ui builders, handed in by the bot. */
export interface ThreadRendering {
  progress(view: ProgressView): ChatMessage;
  step(report: StepReport): ChatMessage;
  canary(view: CanaryCardView): ChatMessage;
  final(report: FinalReport): ChatMessage;
}

/**
 * The run's thread on Slack: replies under the plan message, a status message edited in place (coalesced per
 * channel), a final reply. The WebClient waits out a 429's Retry-After itself; retries of posts are off, so a
 * lost answer never posts twice.
 */
export function slackThreadReporter(
  client: Pick<WebClient, 'chat'>,
  options: {
    readonly clock: Clock;
    readonly render: ThreadRendering;
    readonly logger: { warn(message: string): void };
    readonly sleep?: (ms: number) => Promise<void>;
  },
): ThreadReporter & { flush(): Promise<void> } {
  const { render } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pending = new Map<string, Map<string, ChatMessage>>();
  const lastSent = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();

  const sendPending = async (channel: string): Promise<void> => {
    timers.delete(channel);
    const messages = pending.get(channel);
    pending.delete(channel);
    lastSent.set(channel, options.clock.now().getTime());
    for (const [ts, message] of messages ?? []) {
      try {
        await honouringRateLimits(() => client.chat.update({ channel, ts, ...message }), sleep);
      } catch (error) {
        options.logger.warn(`chat.update of ${ts} failed: ${String(error)}`);
      }
    }
  };

  const schedule = (channel: string): void => {
    if (timers.has(channel)) return;
    const wait = Math.max(0, (lastSent.get(channel) ?? 0) + UPDATE_INTERVAL_MS - options.clock.now().getTime());
    const timer = setTimeout(() => {
      const work = sendPending(channel);
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    }, wait);
    timer.unref();
    timers.set(channel, timer);
  };

  const post = async (run: Run, message: ChatMessage): Promise<string> => {
    const response = postResponse.parse(
      await honouringRateLimits(
        () =>
          client.chat.postMessage({
            channel: run.channelId,
            ...(run.messageTs === null ? {} : { thread_ts: run.messageTs }),
            ...message,
          }),
        sleep,
      ),
    );
    return response.ts;
  };

  const edit = (run: Run, ts: string, message: ChatMessage): Promise<void> => {
    const forChannel = pending.get(run.channelId) ?? new Map<string, ChatMessage>();
    forChannel.set(ts, message);
    pending.set(run.channelId, forChannel);
    schedule(run.channelId);
    return Promise.resolve();
  };

  return {
    postStatus: (run, view) => post(run, render.progress(view)),
    updateStatus: (run, ts, view) => edit(run, ts, render.progress(view)),
    postStep: (run, report) => post(run, render.step(report)),
    postCanary: (run, view) => post(run, render.canary(view)),
    updateCanary: (run, ts, view) => edit(run, ts, render.canary(view)),
    postFinal: (run, report) => post(run, render.final(report)),
    async permalink(run) {
      if (run.messageTs === null) return null;
      const response = permalinkResponse.parse(
        await client.chat.getPermalink({ channel: run.channelId, message_ts: run.messageTs }),
      );
      return response.permalink;
    },
    /** Sends every pending edit now (shutdown, tests). */
    async flush() {
      for (const [channel, timer] of timers) {
        clearTimeout(timer);
        await sendPending(channel);
      }
      await Promise.all([...inFlight]);
    },
  };
}
