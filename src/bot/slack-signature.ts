import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's own bound: a request signed more than five minutes from now, either way, is refused. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' };

/**
 * Verifies Slack's `v0` request signature (HMAC-SHA256 of `v0:{timestamp}:{raw body}`). Unlike Bolt's own
 * check, a timestamp in the future is refused too, so a captured request cannot be replayed later.
 */
export function verifySlackSignature(input: {
  readonly signingSecret: string;
  readonly rawBody: string;
  readonly timestampHeader: string | undefined;
  readonly signatureHeader: string | undefined;
  readonly nowMs: number;
}): SignatureCheck {
  const { timestampHeader, signatureHeader } = input;
  if (timestampHeader === undefined || signatureHeader === undefined || !/^\d{1,12}$/.test(timestampHeader)) {
    return { ok: false, reason: 'missing_headers' };
  }
  const skew = Math.abs(input.nowMs / 1000 - Number(timestampHeader));
  if (skew > MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  const expected = Buffer.from(
    `v0=${createHmac('sha256', input.signingSecret).update(`v0:${timestampHeader}:${input.rawBody}`).digest('hex')}`,
  );
  const given = Buffer.from(signatureHeader);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}
