import type { PlainTextElement } from '@slack/types';

/** 'HH:MM UTC' of a date. */
export function utcTime(date: Date): string {
  return `${date.toISOString().slice(11, 16)} UTC`;
}

/** 'YYYY-MM-DD HH:MM UTC' of a date. */
export function utcDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 10)} ${utcTime(date)}`;
}

/** Slack's date token: each reader sees their own time zone, with a UTC fallback. */
export function slackDate(date: Date): string {
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${utcDateTime(date)}>`;
}

export function plainText(text: string): PlainTextElement {
  return { type: 'plain_text', text, emoji: true };
}
