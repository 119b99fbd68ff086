import type { Button, SectionBlock } from '@slack/types';
import { ErrorCode, LogLevel, WebClient, type Logger, type WebAPICallResult } from '@slack/web-api';

import type { Clock, SlackEmulator } from '../../../sandbox/slack/index.js';

/** 2024-11-24T12:06:40Z: Slack timestamps start at 1732450000. */
export const START = new Date(1_732_450_000_000);

export interface FakeClock extends Clock {
  advance(seconds: number): void;
  set(date: Date): void;
}

export function fakeClock(start: Date = START): FakeClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (seconds) => {
      current += seconds * 1000;
    },
    set: (date) => {
      current = date.getTime();
    },
  };
}

/** The WebClient logs Slack's `[ERROR]` response messages; the tests read them from the error instead. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** A WebClient on the emulator with retries off; `null` makes one without a token. */
export function webClient(emulator: SlackEmulator, token: string | null = emulator.botToken): WebClient {
  return new WebClient(token ?? undefined, {
    slackApiUrl: emulator.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: silentLogger,
  });
}

type PlatformErrorData = WebAPICallResult & { error: string };

function isPlatformError(error: unknown): error is Error & { code: ErrorCode.PlatformError; data: PlatformErrorData } {
  return error instanceof Error && 'code' in error && error.code === ErrorCode.PlatformError && 'data' in error;
}

/** The `data` of the WebClient's platform error (`{ ok: false, error, ... }`), failing if the call succeeded. */
export async function platformError(call: Promise<unknown>): Promise<PlatformErrorData> {
  try {
    await call;
  } catch (error: unknown) {
    if (isPlatformError(error)) return error.data;
    throw error;
  }
  throw new Error('expected the call to fail with a Slack platform error');
}

/** Resolves with the next value `subscribe` reports, for emulator events. */
export function nextEvent<T>(subscribe: (listener: (value: T) => void) => () => void, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no event within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = subscribe((value) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

export const section = (text: string): SectionBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
});

export const button = (actionId: string, value: string, text = 'Approve'): Button => ({
  type: 'button',
  action_id: actionId,
  value,
  text: { type: 'plain_text', text },
});

/** Jest's asymmetric matchers are typed `any`; these hand them out as `unknown` for typed code. */
export const anyString = (): unknown => expect.any(String);
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
export const containing = (object: Record<string, unknown>): unknown => expect.objectContaining(object);
