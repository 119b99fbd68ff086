import { redact, type RedactOptions } from './redact.js';

// Matching control characters is the point here: they must never reach a message raw.
// eslint-disable-next-line no-control-regex
const BIDI_AND_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/** Direction overrides and control characters shown as code points, so they cannot reorder the text around them. */
function visibleControls(text: string): string {
  return text.replace(
    BIDI_AND_CONTROL,
    (char) => `U+${char.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0') ?? '????'}`,
  );
}

function cutTo(text: string, maxLength: number): string {
  const chars = [...text];
  return chars.length > maxLength ? `${chars.slice(0, maxLength).join('')}…` : text;
}

/**
 * Makes outside text safe to echo in mrkdwn: secrets are redacted first (known credential shapes, long random
 * tokens, and `options.secrets`), Slack's three control characters are escaped (so `<!channel>` cannot notify
 * anyone), direction overrides and control characters are shown as code points (so right-to-left text cannot
 * reorder the message around it), and the result is cut to `maxLength`. Redacting here means no builder can forget.
 */
export function escapeMrkdwn(text: string, maxLength = 200, options: RedactOptions = {}): string {
  const cut = cutTo(visibleControls(redact(text, options)), maxLength);
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface MarkdownTextOptions extends RedactOptions {
  /** Characters kept (default 2,000); the cut is marked. */
  readonly maxLength?: number;
}

/**
 * Outside text as one line of GitHub-flavoured markdown that reads as exactly that text, for the committed deploy
 * log and index: secrets redacted first (escaping could split one and hide it from the redactor), line breaks made
 * spaces (a value must not end its list item or table cell, or start a heading or a code fence), control
 * characters shown as code points, then every character that could start markup backslash-escaped: backslashes,
 * backticks, `*`, `~`, brackets, pipes, `_` at a word's edge, `<` before a tag or autolink, `&` before an entity,
 * and a leading `#`, `>`, `-`, `+`, `=` or `1.`. Parentheses, dots and intraword `_` stay as they are, so
 * revisions, metric names and `p95 < 2 s` read unchanged in the raw file.
 */
export function escapeMarkdown(text: string, options: MarkdownTextOptions = {}): string {
  const line = cutTo(
    visibleControls(redact(text, options).replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')).trim(),
    options.maxLength ?? 2000,
  );
  return line
    .replace(/[\\`*~[\]|]/g, '\\$&')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/<(?=[A-Za-z/!?])/g, '\\<')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&')
    .replace(/^(?:[#>+=-]|(\d+)([.)]))/, (match, digits: string | undefined, mark: string | undefined) =>
      digits === undefined ? `\\${match}` : `${digits}\\${mark ?? ''}`,
    );
}

/** Inline code that stays inline code whatever it holds. */
export function inlineCode(text: string, maxLength = 200, options: RedactOptions = {}): string {
  return `\`${escapeMrkdwn(text, maxLength, options).replace(/`/g, 'ˋ')}\``;
}

/** A Slack mention of a user id or a user-group id. */
export function mention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

/** Cuts text to a Slack limit, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
