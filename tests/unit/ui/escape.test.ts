import { escapeMarkdown, escapeMrkdwn, inlineCode, mention } from '../../../src/ui/escape.js';
import { FAKE, HOSTILE_LINES, INJECTION, SECRETS } from './hostile.js';

describe('escapeMrkdwn', () => {
  it('neutralises Slack markup so nobody is notified', () => {
    expect(escapeMrkdwn('<!channel> & <@U123|x>')).toBe('&lt;!channel&gt; &amp; &lt;@U123|x&gt;');
  });

  it('shows direction overrides and control characters as code points', () => {
    expect(escapeMrkdwn('a\u202Eb\u2066c\u0007')).toBe('aU+202EbU+2066cU+0007');
  });

  it('cuts long text by characters, marking the cut', () => {
    expect(escapeMrkdwn('é'.repeat(10), 4)).toBe('éééé…');
  });

  it('keeps inline code inline whatever it holds', () => {
    expect(inlineCode('a`b')).toBe('`aˋb`');
  });

  it('mentions users and user groups', () => {
    expect(mention('U1')).toBe('<@U1>');
    expect(mention('S1')).toBe('<!subteam^S1>');
  });
});

describe('escapeMrkdwn redacts before it escapes', () => {
  it.each(HOSTILE_LINES)('hides the secrets of %j', (line) => {
    const out = escapeMrkdwn(line, 1000, { secrets: [FAKE.envValue] });
    for (const secret of SECRETS) expect(out).not.toContain(secret);
  });

  it('redacts inline code too', () => {
    expect(inlineCode(`key ${FAKE.openai}`)).toBe('`key [redacted]`');
  });
});

describe('escapeMarkdown', () => {
  it.each<[string, string]>([
    ['plain text (kept) p95 < 2 s', 'plain text (kept) p95 < 2 s'],
    ['memory_analysis_cache_hits_total', 'memory_analysis_cache_hits_total'],
    ['_italic_ *bold* `code` ~~gone~~', '\\_italic\\_ \\*bold\\* \\`code\\` \\~\\~gone\\~\\~'],
    ['[link](https://evil.example)', '\\[link\\](https://evil.example)'],
    ['<img src=x> <!-- c --> a < b', '\\<img src=x> \\<!-- c --> a < b'],
    ['a | b \\| c', 'a \\| b \\\\\\| c'],
    ['&lt;script&gt; & co', '\\&lt;script\\&gt; & co'],
    ['## Rollback', '\\## Rollback'],
    ['> quoted', '\\> quoted'],
    ['- nested', '\\- nested'],
    ['1. item', '1\\. item'],
    ['one\ntwo\r\nthree\u2028four', 'one two three four'],
    ['a\u202Eb', 'aU+202Eb'],
  ])('%j is %j', (text, expected) => {
    expect(escapeMarkdown(text)).toBe(expected);
  });

  it('keeps an injected heading and code fence on one inert line', () => {
    const out = escapeMarkdown(INJECTION);
    expect(out).not.toContain('\n');
    expect(out).not.toMatch(/(?<!\\)`/);
    expect(out.startsWith('boom ')).toBe(true);
  });

  it('redacts first, then escapes', () => {
    expect(escapeMarkdown(`x_${FAKE.github}_y`)).not.toContain(FAKE.github);
    expect(escapeMarkdown(`key ${FAKE.envValue}`, { secrets: [FAKE.envValue] })).toBe('key \\[redacted\\]');
  });

  it('cuts long text, marking the cut', () => {
    expect(escapeMarkdown('x'.repeat(10), { maxLength: 4 })).toBe('xxxx…');
  });
});
