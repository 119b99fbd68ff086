import { lockReply } from '../../../src/ui/replies.js';

describe('replies', () => {
  it('keeps Slack date tokens and mentions whole in the notification text, dropping only bold and italics marks', () => {
    const at = new Date('2026-11-24T10:00:00Z');
    const message = lockReply({
      kind: 'locked',
      lock: {
        serviceKey: 'p/r/emergence-app',
        ownerId: 'freeze:p/r/emergence-app#1',
        holderId: 'U0LEAD',
        reason: 'db_migration *now*',
        acquiredAt: at,
        expiresAt: new Date(at.getTime() + 2 * 3600_000),
      },
    });
    expect(message.text).toContain('<@U0LEAD>');
    expect(message.text).toContain('<!date^1795514400^{date_short_pretty} {time}|2026-11-24 10:00 UTC>');
    expect(message.text).toContain('(dbmigration now)');
    expect(JSON.stringify(message.blocks)).toContain('(db_migration *now*)');
  });
});
