import { parseSlackBody, type SlackBodyPolicy } from '../../../src/bot/slack-body.js';
import { ACTION_IDS } from '../../../src/ui/action-ids.js';

const form = 'application/x-www-form-urlencoded';
const json = 'application/json';
const EMULATOR = 'http://127.0.0.1:9001';
const policy: SlackBodyPolicy = {
  responseOrigins: [EMULATOR],
  teamId: 'T0LIFTOFF',
  actionIds: new Set(Object.values(ACTION_IDS)),
};

type Fields = Record<string, unknown>;

const command = (): Record<string, string> => ({
  token: 'verification',
  team_id: 'T0LIFTOFF',
  team_domain: 'liftoff',
  channel_id: 'C0DEPLOYS',
  channel_name: 'deploys',
  user_id: 'U0DEV',
  user_name: 'dev',
  command: '/deploy',
  text: 'phase3',
  api_app_id: 'A0LIFTOFFAPP',
  is_enterprise_install: 'false',
  response_url: 'https://hooks.slack.com/commands/T0LIFTOFF/1/abc',
  trigger_id: '13345224609.738474920.8088930838d88f008e0',
});

const blockActions = (): Fields => ({
  type: 'block_actions',
  user: { id: 'U0LEAD', username: 'lead', team_id: 'T0LIFTOFF' },
  api_app_id: 'A0LIFTOFFAPP',
  token: 'verification',
  container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0DEPLOYS', is_ephemeral: false },
  trigger_id: '13345224609.738474920.8088930838d88f008e0',
  team: { id: 'T0LIFTOFF', domain: 'liftoff' },
  enterprise: null,
  is_enterprise_install: false,
  channel: { id: 'C0DEPLOYS', name: 'deploys' },
  message: { type: 'message', ts: '1700000000.000100', text: '' },
  state: { values: {} },
  response_url: `${EMULATOR}/response/7f3e`,
  actions: [
    {
      action_id: ACTION_IDS.approve,
      block_id: 'plan',
      type: 'button',
      value: 'run-1',
      action_ts: '1700000001.000200',
    },
  ],
});

const viewSubmission = (): Fields => ({
  type: 'view_submission',
  team: { id: 'T0LIFTOFF', domain: 'liftoff' },
  user: { id: 'U0DEV', team_id: 'T0LIFTOFF' },
  api_app_id: 'A0LIFTOFFAPP',
  trigger_id: '1.2.abc',
  view: { id: 'V0X', type: 'modal', callback_id: 'liftoff_modal', state: { values: {} } },
  response_urls: [],
});

const appHomeOpened = (): Fields => ({
  type: 'event_callback',
  team_id: 'T0LIFTOFF',
  api_app_id: 'A0LIFTOFFAPP',
  event: { type: 'app_home_opened', user: 'U0DEV', channel: 'D0DEV', tab: 'home', event_ts: '1700000000.000100' },
  event_id: 'Ev0ABC',
  event_time: 1_700_000_000,
  authorizations: [{ enterprise_id: null, team_id: 'T0LIFTOFF', user_id: 'U0BOT', is_bot: true }],
});

const asForm = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const asPayload = (payload: unknown): string => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

/** A copy of `body` with `path` set to `value` (undefined deletes it). */
function mutated(body: Fields, path: readonly (string | number)[], value: unknown): Fields {
  const copy = JSON.parse(JSON.stringify(body)) as Fields;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1);
  if (last === undefined) throw new Error('empty path');
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

describe('parseSlackBody', () => {
  it('dispatches a slash command as Slack sends it', () => {
    expect(parseSlackBody(asForm(command()), form, policy)).toEqual({ kind: 'dispatch', body: command() });
  });

  it('dispatches a click on each Liftoff button, a view submission and app_home_opened', () => {
    for (const actionId of Object.values(ACTION_IDS)) {
      const body = mutated(blockActions(), ['actions', 0, 'action_id'], actionId);
      expect(parseSlackBody(asPayload(body), form, policy).kind).toBe('dispatch');
    }
    expect(parseSlackBody(asPayload(viewSubmission()), form, policy).kind).toBe('dispatch');
    expect(parseSlackBody(JSON.stringify(appHomeOpened()), json, policy).kind).toBe('dispatch');
  });

  it('accepts an org-wide install (team null, the user names the workspace) and an ephemeral without message', () => {
    expect(parseSlackBody(asPayload(mutated(blockActions(), ['team'], null)), form, policy).kind).toBe('dispatch');
    const ephemeral = mutated(mutated(blockActions(), ['message'], undefined), ['container', 'is_ephemeral'], true);
    expect(parseSlackBody(asPayload(ephemeral), form, policy).kind).toBe('dispatch');
  });

  it.each([
    ['a JSON null', 'null', json],
    ['a JSON array', '[1]', json],
    ['broken JSON', '{', json],
    ['a payload that is not JSON', 'payload=%7Bnot', form],
    ['a payload that is null', 'payload=null', form],
    ['a payload that is a number', 'payload=1e308', form],
    ['a form that is neither command nor interaction', 'hello=world', form],
  ])('answers 400 to %s: not a Slack payload at all', (_name, raw, type) => {
    expect(parseSlackBody(raw, type, policy).kind).toBe('invalid');
  });

  // The crashes and hangs seen from Bolt's routing, and every field Bolt or a listener reads.
  it.each<[string, readonly (string | number)[], unknown]>([
    ['user missing', ['user'], undefined],
    ['user null', ['user'], null],
    ['user.id missing', ['user', 'id'], undefined],
    ['user.id a number', ['user', 'id'], 1e308],
    ['user.id markup', ['user', 'id'], '<!channel>'],
    ['team missing', ['team'], undefined],
    ['team a string', ['team'], 'T0LIFTOFF'],
    ['team.id null', ['team', 'id'], null],
    ['enterprise a number', ['enterprise'], -1],
    ['actions missing', ['actions'], undefined],
    ['actions -1', ['actions'], -1],
    ['actions 1e308', ['actions'], 1e308],
    ['actions empty', ['actions'], []],
    ['actions[0] null', ['actions', 0], null],
    ['actions[0] a number', ['actions', 0], 7],
    ['action_id missing', ['actions', 0, 'action_id'], undefined],
    ['action_id a number', ['actions', 0, 'action_id'], -1],
    ['action value an object', ['actions', 0, 'value'], { a: 1 }],
    ['action value over 2,000 characters', ['actions', 0, 'value'], 'x'.repeat(2001)],
    ['container missing', ['container'], undefined],
    ['container a string', ['container'], 'message'],
    ['container.message_ts a number', ['container', 'message_ts'], 1e308],
    ['channel null', ['channel'], null],
    ['channel.id an array', ['channel', 'id'], ['C0DEPLOYS']],
    ['message a number', ['message'], -1],
    ['view null', ['view'], null],
    ['trigger_id missing', ['trigger_id'], undefined],
    ['trigger_id an object', ['trigger_id'], {}],
    ['response_url missing', ['response_url'], undefined],
    ['response_url over http on Slack', ['response_url'], 'http://hooks.slack.com/commands/1'],
    ['response_url on another host', ['response_url'], 'https://evil.example/response/1'],
    ['response_url on a look-alike host', ['response_url'], 'https://hooks.slack.com.evil.example/1'],
    ['response_url with credentials', ['response_url'], 'https://u:p@hooks.slack.com/1'],
    ['response_url on another loopback port', ['response_url'], 'http://127.0.0.1:9/response/1'],
    ['response_url a javascript: URL', ['response_url'], 'javascript:alert(1)'],
    ['a foreign team', ['team', 'id'], 'T0FOREIGN'],
    ['workflow function data', ['function_data'], { execution_id: 'Fx1', inputs: {} }],
    ['an action Liftoff does not answer', ['actions', 0, 'action_id'], 'somebody_elses_button'],
  ])('ignores a block_actions body with %s', (_name, path, value) => {
    const result = parseSlackBody(asPayload(mutated(blockActions(), path, value)), form, policy);
    expect(result.kind).toBe('ignored');
  });

  it.each<[string, string, string | undefined]>([
    ['user_id missing', 'user_id', undefined],
    ['user_id empty', 'user_id', ''],
    ['channel_id junk', 'channel_id', '../../x'],
    ['team_id missing', 'team_id', undefined],
    ['a foreign team', 'team_id', 'T0FOREIGN'],
    ['response_url missing', 'response_url', undefined],
    ['response_url off Slack', 'response_url', 'https://evil.example/x'],
    ['trigger_id missing', 'trigger_id', undefined],
    ['a command that is not a slash command', 'command', 'deploy'],
  ])('ignores a slash command with %s', (_name, field, value) => {
    const fields = command();
    if (value === undefined) delete fields[field];
    else fields[field] = value;
    expect(parseSlackBody(asForm(fields), form, policy).kind).toBe('ignored');
  });

  it.each<[string, readonly (string | number)[], unknown]>([
    ['view missing', ['view'], undefined],
    ['view null', ['view'], null],
    ['view.callback_id a number', ['view', 'callback_id'], 1e308],
    ['user missing', ['user'], undefined],
    ['response_urls a number', ['response_urls'], -1],
    ['response_urls off Slack', ['response_urls'], [{ response_url: 'https://evil.example/x' }]],
    ['a foreign installed team', ['view', 'app_installed_team_id'], 'T0FOREIGN'],
  ])('ignores a view_submission with %s', (_name, path, value) => {
    expect(parseSlackBody(asPayload(mutated(viewSubmission(), path, value)), form, policy).kind).toBe('ignored');
  });

  it.each<[string, readonly (string | number)[], unknown]>([
    ['event missing', ['event'], undefined],
    ['event a number', ['event'], 1e308],
    ['event.type missing', ['event', 'type'], undefined],
    ['event.user null', ['event', 'user'], null],
    ['event.channel null', ['event', 'channel'], null],
    ['event.item a number', ['event', 'item'], -1],
    ['event.subteam null', ['event', 'subteam'], null],
    ['app_home_opened without a user', ['event', 'user'], undefined],
    ['app_home_opened with an unknown tab', ['event', 'tab'], 'settings'],
    ['team_id missing', ['team_id'], undefined],
    ['authorizations a number', ['authorizations'], -1],
    ['a foreign team', ['authorizations', 0, 'team_id'], 'T0FOREIGN'],
  ])('ignores an event_callback with %s', (_name, path, value) => {
    expect(parseSlackBody(JSON.stringify(mutated(appHomeOpened(), path, value)), json, policy).kind).toBe('ignored');
  });

  it.each(['shortcut', 'message_action', 'block_suggestion', 'interactive_message', 'app_rate_limited', 'nonsense'])(
    'ignores a %s payload: no surface of Liftoff answers it',
    (type) => {
      expect(parseSlackBody(asPayload({ type, user: { id: 'U0DEV' } }), form, policy).kind).toBe('ignored');
    },
  );

  it('says which field failed and how, never what it held', () => {
    const secret = 'xoxb-leaked-token-value';
    const result = parseSlackBody(asPayload(mutated(blockActions(), ['user', 'id'], { token: secret })), form, policy);
    expect(result).toEqual({ kind: 'ignored', why: 'block_actions: user.id: invalid_type' });
    const url = parseSlackBody(
      asPayload(mutated(blockActions(), ['response_url'], `https://evil.example/${secret}`)),
      form,
      policy,
    );
    expect(JSON.stringify(url)).not.toContain(secret);
  });

  it('accepts any team when the installed one is not known, and Slack’s own hooks host', () => {
    const unknownTeam: SlackBodyPolicy = { responseOrigins: [], actionIds: policy.actionIds };
    const body = mutated(
      mutated(blockActions(), ['team', 'id'], 'T0OTHER'),
      ['response_url'],
      'https://hooks.slack.com/actions/T0/1/abc',
    );
    expect(parseSlackBody(asPayload(body), form, unknownTeam).kind).toBe('dispatch');
  });

  it('answers url_verification and ssl_check', () => {
    expect(parseSlackBody('{"type":"url_verification","challenge":"abc"}', json, policy)).toEqual({
      kind: 'url_verification',
      challenge: 'abc',
    });
    expect(parseSlackBody('ssl_check=1&token=x', form, policy)).toEqual({ kind: 'ssl_check' });
  });
});
