// Matching control characters is the point here: they must never reach a message raw.
// eslint-disable-next-line no-control-regex
const BIDI_AND_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/**
 * Makes user text safe to echo in mrkdwn: Slack's three control characters are escaped (so `<!channel>`
 * cannot notify anyone), direction overrides and control characters are shown as code points (so
 * right-to-left text cannot reorder the message around it), and the result is cut to `maxLength`.
 */
export function escapeMrkdwn(text: string, maxLength = 200): string {
  const visible = text.replace(
    BIDI_AND_CONTROL,
    (char) => `U+${char.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0') ?? '????'}`,
  );
  const cut = [...visible].length > maxLength ? `${[...visible].slice(0, maxLength).join('')}…` : visible;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code that stays inline code whatever it holds. */
export function inlineCode(text: string, maxLength = 200): string {
  return `\`${escapeMrkdwn(text, maxLength).replace(/`/g, 'ˋ')}\``;
}

/** A Slack mention of a user id or a user-group id. */
export function mention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

/** Cuts text to a Slack limit, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
