export type BuildTagScheme = 'counter' | 'timestamp' | 'auto';

export type NextBuildTag =
  | {
      readonly ok: true;
      /** The tag as it stands now, without any `KEY=` prefix. */
      readonly current: string;
      readonly next: string;
      /** The whole file with the next tag, keeping the prefix, the line ending and any other lines. */
      readonly content: string;
    }
  | { readonly ok: false; readonly message: string };

const KEY_PREFIX = /^([A-Za-z_][A-Za-z0-9_]*=)(.*)$/s;
const TIMESTAMP_TAG = /^(.*?)(\d{8})-(\d{6})$/;
const COUNTER_TAG = /^\d{1,15}$/;
/** A tag ends up in an image reference and a Cloud Run traffic tag: keep it to what both accept. */
const SAFE_TAG = /^[a-z0-9][a-z0-9-]{0,50}$/;

function stamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

function stampToDate(day: string, time: string): Date {
  return new Date(
    `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}Z`,
  );
}

function shown(content: string): string {
  return JSON.stringify(content.length > 120 ? `${content.slice(0, 120)}…` : content);
}

/**
 * Computes the next build tag from the build tag file's content. Real files hold more than an integer
 * (`IMAGE_TAG=deploy-20251008-183707`, `cockpit-phase3-20251009-073931` with CRLF): the `KEY=` prefix, the
 * line ending and the other lines are kept; a value the scheme cannot follow is refused with the fix.
 */
export function nextBuildTag(input: {
  readonly content: string;
  readonly scheme: BuildTagScheme;
  readonly now: Date;
  readonly file: string;
}): NextBuildTag {
  const { content, scheme, now, file } = input;
  const lineEnd = /\r\n|\n|\r/.exec(content);
  const firstLine = lineEnd === null ? content : content.slice(0, lineEnd.index);
  const rest = lineEnd === null ? '' : content.slice(lineEnd.index);
  const keyed = KEY_PREFIX.exec(firstLine);
  const prefix = keyed?.[1] ?? '';
  const current = (keyed?.[2] ?? firstLine).trim();
  const refuse = (why: string, fix: string): NextBuildTag => ({
    ok: false,
    message: `${file} holds ${shown(content)}: ${why}. ${fix}`,
  });

  let next: string;
  const timestamped = TIMESTAMP_TAG.exec(current);
  const kind =
    scheme === 'auto'
      ? COUNTER_TAG.test(current)
        ? 'counter'
        : timestamped !== null
          ? 'timestamp'
          : 'unknown'
      : scheme;
  if (kind === 'unknown') {
    return refuse(
      current === '' ? 'the file is empty' : 'that is neither a number nor a `<prefix>YYYYMMDD-HHMMSS` timestamp',
      `Put a number (e.g. \`1\`) or \`deploy-${stamp(now)}\` in it, or set \`source.buildTag.scheme\`.`,
    );
  }
  if (kind === 'counter') {
    if (!COUNTER_TAG.test(current)) {
      return refuse(
        'the `counter` scheme needs a whole number',
        'Use `scheme: timestamp` or `scheme: auto`, or put a number in the file.',
      );
    }
    next = String(Number(current) + 1);
  } else {
    const base = timestamped === null ? 'deploy-' : (timestamped[1] ?? '');
    let at = now;
    if (timestamped !== null) {
      // Never go backwards, even when the last tag was made a second ago or by a clock ahead of ours.
      const last = stampToDate(timestamped[2] ?? '', timestamped[3] ?? '');
      if (!Number.isNaN(last.getTime()) && last.getTime() >= now.getTime() - 999) at = new Date(last.getTime() + 1000);
    }
    next = `${base}${stamp(at)}`;
  }
  if (!SAFE_TAG.test(next)) {
    return refuse(
      `the next tag \`${next}\` would not be a valid image and traffic tag (lowercase letters, digits and dashes, at most 51 characters)`,
      'Rename the prefix in the file.',
    );
  }
  return { ok: true, current, next, content: `${prefix}${next}${rest}` };
}
