import { escapeMrkdwn, inlineCode, mention } from '../../../src/ui/escape.js';

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
