import { z } from 'zod';

/** Treats an empty or blank variable as unset, as a shell user expects. */
const blankAsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' ? value.trim() || undefined : value), schema);

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9010');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const envSchema = z
  .object({
    SLACK_SIGNING_SECRET: blankAsUnset(z.string().optional()),
    SLACK_BOT_TOKEN: blankAsUnset(
      z
        .string()
        .regex(/^xoxb-/, 'must be a bot token starting with xoxb-')
        .optional(),
    ),
    SLACK_APP_TOKEN: blankAsUnset(
      z
        .string()
        .regex(/^xapp-/, 'must be an app-level token starting with xapp-')
        .optional(),
    ),
    SLACK_API_URL: blankAsUnset(httpUrl.optional()),
    PORT: blankAsUnset(
      z.coerce
        .number({ error: 'must be a port number (0-65535)' })
        .int('must be a port number (0-65535)')
        .min(0, 'must be a port number (0-65535)')
        .max(65535, 'must be a port number (0-65535)')
        .default(3000),
    ),
    GCP_API_ENDPOINT: blankAsUnset(hostPort.optional()),
    GITHUB_TOKEN: blankAsUnset(z.string().optional()),
    GITHUB_API_URL: blankAsUnset(httpUrl.optional()),
    DATABASE_URL: blankAsUnset(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
    ),
    LIFTOFF_DATA_DIR: blankAsUnset(z.string().default('.liftoff')),
    LIFTOFF_RUNBOOKS: blankAsUnset(z.string().default('runbooks')),
  })
  .superRefine((env, ctx) => {
    if ((env.SLACK_SIGNING_SECRET === undefined) !== (env.SLACK_BOT_TOKEN === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.SLACK_SIGNING_SECRET === undefined ? 'SLACK_SIGNING_SECRET' : 'SLACK_BOT_TOKEN'],
        message: 'set both SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN to serve Slack, or neither for the sandbox',
      });
    }
    if (env.SLACK_APP_TOKEN !== undefined && env.SLACK_BOT_TOKEN === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_APP_TOKEN'], message: 'Socket Mode also needs SLACK_BOT_TOKEN' });
    }
  });

export type SlackConfig =
  | { readonly mode: 'http'; readonly signingSecret: string; readonly botToken: string; readonly apiUrl?: string }
  | {
      readonly mode: 'socket';
      readonly signingSecret: string;
      readonly botToken: string;
      readonly appToken: string;
      readonly apiUrl?: string;
    };

export interface Config {
  /** Absent: no Slack credentials, so Liftoff runs the sandbox. */
  readonly slack: SlackConfig | undefined;
  readonly port: number;
  readonly gcpApiEndpoint: string | undefined;
  readonly github: { readonly token: string | undefined; readonly apiUrl: string | undefined };
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly runbooksDir: string;
  /** The whole environment, for `${VAR}` in runbooks. */
  readonly runbookEnv: Readonly<Record<string, string | undefined>>;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses Liftoff's configuration from an environment (DESIGN.md, 'The contract'). Throws ConfigError. */
export function readConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
  }
  const e = parsed.data;
  const apiUrl = e.SLACK_API_URL === undefined ? {} : { apiUrl: e.SLACK_API_URL };
  let slack: SlackConfig | undefined;
  if (e.SLACK_SIGNING_SECRET !== undefined && e.SLACK_BOT_TOKEN !== undefined) {
    slack =
      e.SLACK_APP_TOKEN === undefined
        ? { mode: 'http', signingSecret: e.SLACK_SIGNING_SECRET, botToken: e.SLACK_BOT_TOKEN, ...apiUrl }
        : {
            mode: 'socket',
            signingSecret: e.SLACK_SIGNING_SECRET,
            botToken: e.SLACK_BOT_TOKEN,
            appToken: e.SLACK_APP_TOKEN,
            ...apiUrl,
          };
  }
  return Object.freeze({
    slack,
    port: e.PORT,
    gcpApiEndpoint: e.GCP_API_ENDPOINT,
    github: Object.freeze({ token: e.GITHUB_TOKEN, apiUrl: e.GITHUB_API_URL }),
    databaseUrl: e.DATABASE_URL,
    dataDir: e.LIFTOFF_DATA_DIR,
    runbooksDir: e.LIFTOFF_RUNBOOKS,
    runbookEnv: Object.freeze({ ...env }),
  });
}
