import { parseSlackBody } from '../../../src/bot/slack-body.js';

const form = 'application/x-www-form-urlencoded';

describe('parseSlackBody', () => {
  it('reads a slash command', () => {
    expect(parseSlackBody('command=%2Fdeploy&text=phase3&user_id=U1', form)).toEqual({
      kind: 'dispatch',
      body: { command: '/deploy', text: 'phase3', user_id: 'U1' },
    });
  });

  it('reads an interactivity payload', () => {
    const payload = encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [] }));
    expect(parseSlackBody(`payload=${payload}`, form)).toMatchObject({
      kind: 'dispatch',
      body: { type: 'block_actions' },
    });
  });

  it.each([
    ['a JSON null', 'null', 'application/json'],
    ['a JSON array', '[1]', 'application/json'],
    ['broken JSON', '{', 'application/json'],
    ['a payload that is not JSON', 'payload=%7Bnot', form],
    ['a payload that is null', 'payload=null', form],
    ['a form that is neither command nor interaction', 'hello=world', form],
  ])('refuses %s before Bolt sees it', (_name, raw, type) => {
    expect(parseSlackBody(raw, type).kind).toBe('invalid');
  });

  it('answers url_verification and ssl_check', () => {
    expect(parseSlackBody('{"type":"url_verification","challenge":"abc"}', 'application/json')).toEqual({
      kind: 'url_verification',
      challenge: 'abc',
    });
    expect(parseSlackBody('ssl_check=1&token=x', form)).toEqual({ kind: 'ssl_check' });
  });
});
