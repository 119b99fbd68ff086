import { ConfigError, readConfig } from '../../../src/bot/config.js';

describe('readConfig', () => {
  it('runs the sandbox with nothing set', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      slack: undefined,
      port: 3000,
      dataDir: '.liftoff',
      runbooksDir: 'runbooks',
      databaseUrl: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('serves Slack over HTTP with both credentials, and Socket Mode with an app token', () => {
    const http = readConfig({
      SLACK_SIGNING_SECRET: 's',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_API_URL: 'http://127.0.0.1:9001/api/',
      PORT: '8080',
    });
    expect(http.slack).toEqual({
      mode: 'http',
      signingSecret: 's',
      botToken: 'xoxb-1',
      apiUrl: 'http://127.0.0.1:9001/api/',
    });
    expect(http.port).toBe(8080);
    const socket = readConfig({ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(socket.slack?.mode).toBe('socket');
  });

  it('treats blank variables as unset', () => {
    expect(readConfig({ PORT: ' ', DATABASE_URL: '' })).toMatchObject({ port: 3000, databaseUrl: undefined });
  });

  it('names every invalid variable in one readable error', () => {
    let error: unknown;
    try {
      readConfig({
        SLACK_BOT_TOKEN: 'not-a-token',
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        GCP_API_ENDPOINT: 'localhost',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/SLACK_BOT_TOKEN: must be a bot token/);
    expect(message).toMatch(/PORT: must be a port number/);
    expect(message).toMatch(/DATABASE_URL: must be a postgres/);
    expect(message).toMatch(/GCP_API_ENDPOINT: must be host:port/);
  });

  it('refuses half the Slack credentials', () => {
    expect(() => readConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_SIGNING_SECRET: set both/);
  });
});
