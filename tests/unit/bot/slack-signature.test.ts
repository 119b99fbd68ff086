import { createHmac } from 'node:crypto';
import { verifySlackSignature } from '../../../src/bot/slack-signature.js';

const secret = 'shhh';
const now = Date.UTC(2026, 10, 24, 12, 0, 0);
const sign = (ts: number, body: string, key = secret): string =>
  `v0=${createHmac('sha256', key).update(`v0:${ts}:${body}`).digest('hex')}`;

describe('verifySlackSignature', () => {
  const body = 'command=%2Fdeploy&text=phase3';
  const at = (offsetSeconds: number) => Math.floor(now / 1000) + offsetSeconds;

  it.each([
    ['a fresh, correctly signed request', 0, secret, true],
    ['a request signed 4 minutes ago', -240, secret, true],
    ['a request signed 6 minutes ago', -360, secret, false],
    ['a request signed 6 minutes ahead (Bolt lets this through)', 360, secret, false],
    ['a forged signature', 0, 'other', false],
  ])('%s', (_name, offset, key, ok) => {
    const ts = at(offset);
    const result = verifySlackSignature({
      signingSecret: secret,
      rawBody: body,
      timestampHeader: String(ts),
      signatureHeader: sign(ts, body, key),
      nowMs: now,
    });
    expect(result.ok).toBe(ok);
  });

  it('refuses missing headers and a body changed after signing', () => {
    expect(
      verifySlackSignature({
        signingSecret: secret,
        rawBody: body,
        timestampHeader: undefined,
        signatureHeader: undefined,
        nowMs: now,
      }),
    ).toEqual({ ok: false, reason: 'missing_headers' });
    const ts = at(0);
    expect(
      verifySlackSignature({
        signingSecret: secret,
        rawBody: `${body}x`,
        timestampHeader: String(ts),
        signatureHeader: sign(ts, body),
        nowMs: now,
      }),
    ).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
