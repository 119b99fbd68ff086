import { type DurationErrorCode, formatDuration, parseDuration } from '../../../src/deploy/duration.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1m30s', 90_000],
    ['1h 2m 3s 4ms', 3_723_004],
    ['1.5s', 1_500],
    ['0.25s', 250],
    ['  20m  ', 1_200_000],
    ['0s', 0],
    ['5 m', 300_000],
  ])('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, ms });
  });

  it.each<[string, DurationErrorCode, RegExp]>([
    ['', 'empty', /empty duration/],
    ['   ', 'empty', /empty duration/],
    ['90', 'bare_number', /write `90s`/],
    ['120000', 'bare_number', /write `120000s`/],
    ['1.5', 'bare_number', /write `1.5s`/],
    ['15 minutes', 'invalid_syntax', /not a duration/],
    ['5min', 'invalid_syntax', /not a duration/],
    ['m', 'invalid_syntax', /not a duration/],
    ['-5s', 'invalid_syntax', /not a duration/],
    ['1h-30m', 'invalid_syntax', /not a duration/],
    ['30m1h', 'unit_order', /largest first/],
    ['1m1m', 'unit_order', /each unit once/],
    [`${'9'.repeat(20)}d`, 'out_of_range', /too long/],
  ])('refuses %j (%s)', (input, code, message) => {
    const result = parseDuration(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.input).toBe(input);
    expect(result.error.message).toMatch(message);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [250, '250ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [30_000, '30s'],
    [900_000, '15m'],
    [5_400_000, '1h 30m'],
    [7_200_000, '2h'],
    [3_723_004, '1h 2m 3.004s'],
    [86_400_000 + 3_600_000, '25h'],
    [-90_000, '-1m 30s'],
    [1_499.6, '1.5s'],
  ])('writes %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 1, 999, 1_000, 61_001, 5_400_000, 3_723_004, 90_061_000])('reads its own output for %d ms back', (ms) => {
    expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, ms });
  });
});
