/**
 * Durations as people write them in runbooks and Slack commands: `30s`, `15m`, `2h`, `1h30m`, `1h 30m`, `250ms`.
 *
 * A bare number (`90`, `120000`) is refused rather than guessed: the team once wrote `--timeout 120000`
 * meaning milliseconds where seconds were expected, so a duration always carries its unit.
 */

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

export type DurationUnit = keyof typeof UNIT_MS;

/** Units from largest to smallest: a compound duration lists them in this order, each at most once. */
const UNIT_ORDER: readonly DurationUnit[] = ['d', 'h', 'm', 's', 'ms'];

export type DurationErrorCode = 'empty' | 'bare_number' | 'invalid_syntax' | 'unit_order' | 'out_of_range';

export interface DurationError {
  readonly code: DurationErrorCode;
  /** The text as given. */
  readonly input: string;
  /** A sentence for a person, naming the fix. */
  readonly message: string;
}

export type DurationResult =
  { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly error: DurationError };

const EXAMPLES = 'write it with a unit, e.g. `30s`, `15m`, `2h` or `1h30m`';
const PART = /(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)/y;

function isUnit(text: string | undefined): text is DurationUnit {
  return text !== undefined && Object.hasOwn(UNIT_MS, text);
}

function fail(code: DurationErrorCode, input: string, message: string): DurationResult {
  return { ok: false, error: { code, input, message } };
}

/**
 * Parses a duration into whole milliseconds (fractions round to the nearest millisecond).
 * Units: `ms`, `s`, `m`, `h`, `d`; several may be combined from largest to smallest (`1h30m`, `1m 30s`).
 * A bare number is an error whose message suggests the seconds form (`90` → write `90s`).
 */
export function parseDuration(input: string): DurationResult {
  const text = input.trim();
  if (text === '') return fail('empty', input, `empty duration: ${EXAMPLES}`);
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    return fail(
      'bare_number',
      input,
      `"${text}" has no unit: write \`${text}s\` for seconds (or \`${text}ms\`, \`${text}m\`)`,
    );
  }

  let total = 0;
  let position = 0;
  let lastRank = -1;
  while (position < text.length) {
    PART.lastIndex = position;
    const match = PART.exec(text);
    const amount = match?.[1];
    const unit = match?.[2];
    if (match === null || amount === undefined || !isUnit(unit)) {
      return fail('invalid_syntax', input, `"${text}" is not a duration: ${EXAMPLES}`);
    }
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastRank) {
      return fail('unit_order', input, `"${text}": list each unit once, largest first (e.g. \`1h30m\`)`);
    }
    lastRank = rank;
    total += Number(amount) * UNIT_MS[unit];
    position = PART.lastIndex;
    while (text[position] === ' ') position += 1;
  }

  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) return fail('out_of_range', input, `"${text}" is too long to be a duration`);
  return { ok: true, ms };
}

/**
 * Formats milliseconds the way runbooks write them, largest units first and zero parts left out:
 * `15m`, `1h 30m`, `1m 1.5s`, `250ms`, `0s`. `parseDuration` reads every result back to the same value.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const rounded = Math.round(ms);
  if (rounded === 0) return '0s';
  if (rounded < 1_000) return `${rounded}ms`;

  const parts: string[] = [];
  let rest = rounded;
  // Hours rather than days on the way out: `48h` reads more plainly than `2d` in a timeout or a lock.
  for (const unit of ['h', 'm'] as const) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * UNIT_MS[unit];
  }
  // Seconds keep their milliseconds as a decimal (1.5s) so nothing is lost on a round trip.
  if (rest > 0) parts.push(`${Number((rest / 1_000).toFixed(3))}s`);
  return parts.join(' ');
}
