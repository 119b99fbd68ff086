import { blocksToLines, plainMrkdwn, runDemo } from '../../sandbox/demo.js';

describe('npm run demo', () => {
  it('renders Block Kit as text: tokens resolved, markers dropped, buttons in brackets', () => {
    const users = new Map([['U0REQUESTER', 'dana']]);
    expect(plainMrkdwn(':rocket: <@U0REQUESTER> `phase3` is *live* &amp; <https://x.test|the log>', users)).toBe(
      '🚀 @dana phase3 is live & the log',
    );
    expect(
      blocksToLines([
        { type: 'header', text: { type: 'plain_text', text: 'Deploy phase3' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: '_requested_' }] },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Approve' } },
            { type: 'button', action_id: 'd', text: { type: 'plain_text', text: 'Deny' } },
          ],
        },
      ]),
    ).toEqual(['## Deploy phase3', 'requested', '[Approve] [Deny]']);
  });

  it('tours a deploy, a deploy rolled back by a failing check, /metrics and /rollback', async () => {
    const lines: string[] = [];
    await runDemo((line) => lines.push(line));
    const transcript = lines.join('\n');

    expect(transcript).toContain('[Approve] [Deny]');
    expect(transcript).toMatch(/Promoted: \S+ serves 100 %/);
    expect(transcript).toMatch(/@dana phase3 is live: /);

    expect(transcript).toContain('Locks (0)');
    expect(transcript).toMatch(/@dana phase3 was rolled back: /);
    expect(transcript).toMatch(/Why: verify: check health failed/);

    expect(transcript).toContain('## Metrics · phase3 → emergence-app');
    expect(transcript).toContain('success rate');

    expect(transcript).toContain('[Roll back to this]');
    expect(transcript).toMatch(/@dana rolled phase3 back to \S+\./);
    expect(transcript).toContain('Tour complete.');
  }, 150_000);
});
