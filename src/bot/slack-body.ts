import { z } from 'zod';

const payloadObject = z.record(z.string(), z.unknown());

/** Where a verified body may point, and which workspace it must come from. */
export interface SlackBodyPolicy {
  /**
   * Origins (`scheme://host[:port]`) a `response_url` may point at besides Slack's own hooks host: the
   * configured Web API's origin, so that an emulator on loopback is trusted and nothing else is.
   */
  readonly responseOrigins: readonly string[];
  /** The workspace Liftoff is installed in; unknown (Slack unreachable at start), every team passes. */
  readonly teamId?: string | undefined;
  /** The `action_id`s Liftoff answers; any other action is acknowledged and dropped before Bolt. */
  readonly actionIds: ReadonlySet<string>;
}

export type SlackBody =
  | { readonly kind: 'url_verification'; readonly challenge: string }
  | { readonly kind: 'ssl_check' }
  | { readonly kind: 'dispatch'; readonly body: Record<string, unknown> }
  /** A Slack-shaped body that Liftoff will not act on: acknowledged with an empty 200 and dropped. */
  | { readonly kind: 'ignored'; readonly why: string };

const SLACK_HOOKS_ORIGIN = 'https://hooks.slack.com';

// Slack's ids are short uppercase words (U0…, C0…, T0…): anything else is not one, and keeps markup and junk out.
const slackId = z.string().regex(/^[A-Z0-9][A-Z0-9_]{0,63}$/);
const slackTs = z.string().regex(/^\d{1,12}\.\d{1,9}$/);
const triggerId = z.string().regex(/^[A-Za-z0-9._-]{1,255}$/);
const jsonObject = z.record(z.string(), z.unknown());

function responseUrl(policy: SlackBodyPolicy) {
  return z
    .string()
    .max(2048)
    .refine((value) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return false;
      }
      if (url.username !== '' || url.password !== '') return false;
      if (url.origin === SLACK_HOOKS_ORIGIN) return true;
      return policy.responseOrigins.includes(url.origin);
    }, 'not a Slack response URL');
}

const interactingUser = z.looseObject({ id: slackId, team_id: slackId.optional() });
// Null for an org-wide install, where the user's team_id names the workspace.
const interactionTeam = z.looseObject({ id: slackId, enterprise_id: slackId.optional() }).nullable();
const interactionEnterprise = z.looseObject({ id: slackId }).nullable().optional();

const blockAction = z.looseObject({
  action_id: z.string().min(1).max(255),
  block_id: z.string().max(255).optional(),
  type: z.string().min(1).max(64),
  value: z.string().max(2000).optional(),
  action_ts: slackTs.optional(),
});

function blockActionsSchema(policy: SlackBodyPolicy) {
  return z.looseObject({
    type: z.literal('block_actions'),
    user: interactingUser,
    team: interactionTeam,
    enterprise: interactionEnterprise,
    is_enterprise_install: z.boolean().optional(),
    api_app_id: slackId.optional(),
    trigger_id: triggerId,
    // Every Liftoff button sits in a message, whose actions always carry one; the handlers answer through it.
    response_url: responseUrl(policy),
    container: z.looseObject({
      type: z.string().min(1).max(64),
      message_ts: slackTs.optional(),
      channel_id: slackId.optional(),
      is_ephemeral: z.boolean().optional(),
    }),
    channel: z.looseObject({ id: slackId, name: z.string().max(255).optional() }).optional(),
    message: z.looseObject({ ts: slackTs, type: z.string().optional() }).optional(),
    view: z.looseObject({ id: z.string().min(1).max(255), callback_id: z.string().max(255).optional() }).optional(),
    state: z.looseObject({ values: jsonObject }).optional(),
    actions: z.array(blockAction).min(1).max(10),
    // Workflow-function interactivity would make Bolt swap in the payload's token; Liftoff defines no functions.
    function_data: z.never().optional(),
    bot_access_token: z.never().optional(),
  });
}

function viewSchema(policy: SlackBodyPolicy) {
  return z.looseObject({
    type: z.enum(['view_submission', 'view_closed']),
    user: interactingUser,
    team: interactionTeam,
    enterprise: interactionEnterprise,
    is_enterprise_install: z.boolean().optional(),
    api_app_id: slackId.optional(),
    trigger_id: triggerId.optional(),
    view: z.looseObject({
      id: z.string().min(1).max(255),
      type: z.string().min(1).max(64),
      callback_id: z.string().max(255),
      app_installed_team_id: slackId.optional(),
      private_metadata: z.string().max(3000).optional(),
      state: z.looseObject({ values: jsonObject }).optional(),
    }),
    response_urls: z
      .array(z.looseObject({ response_url: responseUrl(policy), channel_id: slackId.optional() }))
      .max(10)
      .optional(),
    function_data: z.never().optional(),
    bot_access_token: z.never().optional(),
  });
}

// Form fields are strings by construction; what matters is which are there and what they hold.
function slashCommandSchema(policy: SlackBodyPolicy) {
  return z.looseObject({
    command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/),
    text: z.string().optional(),
    user_id: slackId,
    channel_id: slackId,
    team_id: slackId,
    enterprise_id: slackId.optional(),
    is_enterprise_install: z.enum(['true', 'false']).optional(),
    api_app_id: slackId.optional(),
    response_url: responseUrl(policy),
    trigger_id: triggerId,
  });
}

// The fields Bolt's routing dereferences on any event (getTypeAndConversation, buildSource, ignoreSelf).
const anyEvent = z.looseObject({
  type: z.string().min(1).max(64),
  user: z.union([slackId, z.looseObject({ id: slackId })]).optional(),
  channel: z.union([slackId, z.looseObject({ id: slackId, creator: slackId.optional() })]).optional(),
  channel_id: slackId.optional(),
  item: jsonObject.optional(),
  subteam: jsonObject.optional(),
  event_ts: slackTs.optional(),
});

const appHomeOpened = anyEvent.extend({
  type: z.literal('app_home_opened'),
  user: slackId,
  channel: slackId,
  tab: z.enum(['home', 'messages']),
  view: jsonObject.optional(),
});

const eventCallback = z.looseObject({
  type: z.literal('event_callback'),
  team_id: slackId,
  enterprise_id: slackId.optional(),
  api_app_id: slackId.optional(),
  event_id: z.string().min(1).max(255).optional(),
  event_time: z.number().int().nonnegative().optional(),
  event: anyEvent,
  authorizations: z
    .array(
      z.looseObject({
        team_id: slackId.nullable(),
        enterprise_id: slackId.nullable().optional(),
        user_id: slackId.optional(),
        is_bot: z.boolean().optional(),
        is_enterprise_install: z.boolean().optional(),
      }),
    )
    .max(10)
    .optional(),
});

/** Interactivity types Liftoff answers none of: they are acknowledged, never routed. */
const UNHANDLED_TYPES = new Set([
  'shortcut',
  'message_action',
  'block_suggestion',
  'interactive_message',
  'dialog_submission',
  'dialog_cancellation',
  'dialog_suggestion',
  'workflow_step_edit',
  'app_rate_limited',
]);

/** Field paths and issue codes only: a refusal is logged, and a payload's values have no place in a log. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length === 0 ? '(body)' : issue.path.join('.')}: ${issue.code}`)
    .join('; ');
}

function teamOf(body: Record<string, unknown>): string | undefined {
  const team = payloadObject.safeParse(body.team);
  if (team.success && typeof team.data.id === 'string') return team.data.id;
  const user = payloadObject.safeParse(body.user);
  return user.success && typeof user.data.team_id === 'string' ? user.data.team_id : undefined;
}

function eventTeamOf(body: Record<string, unknown>): string | undefined {
  const first = Array.isArray(body.authorizations) ? payloadObject.safeParse(body.authorizations[0]) : undefined;
  if (first?.success === true && typeof first.data.team_id === 'string') return first.data.team_id;
  return typeof body.team_id === 'string' ? body.team_id : undefined;
}

/** Checks a Slack-shaped body against the schema of its type: what Bolt and the listeners read must be there. */
function checkShape(body: Record<string, unknown>, policy: SlackBodyPolicy): SlackBody {
  const ignored = (why: string): SlackBody => ({ kind: 'ignored', why });
  const foreign = (team: string | undefined): boolean => policy.teamId !== undefined && team !== policy.teamId;
  if (typeof body.command === 'string') {
    const parsed = slashCommandSchema(policy).safeParse(body);
    if (!parsed.success) return ignored(`slash command: ${describeIssues(parsed.error)}`);
    if (foreign(parsed.data.team_id)) return ignored('slash command: from another workspace');
    return { kind: 'dispatch', body };
  }
  const type = typeof body.type === 'string' ? body.type : '';
  if (type === 'block_actions') {
    const parsed = blockActionsSchema(policy).safeParse(body);
    if (!parsed.success) return ignored(`block_actions: ${describeIssues(parsed.error)}`);
    if (foreign(teamOf(body))) return ignored('block_actions: from another workspace');
    const [action] = parsed.data.actions;
    if (action === undefined || !policy.actionIds.has(action.action_id))
      return ignored('block_actions: an action Liftoff does not answer');
    return { kind: 'dispatch', body };
  }
  if (type === 'view_submission' || type === 'view_closed') {
    const parsed = viewSchema(policy).safeParse(body);
    if (!parsed.success) return ignored(`${type}: ${describeIssues(parsed.error)}`);
    if (foreign(parsed.data.view.app_installed_team_id ?? teamOf(body)))
      return ignored(`${type}: from another workspace`);
    return { kind: 'dispatch', body };
  }
  if (type === 'event_callback') {
    const parsed = eventCallback.safeParse(body);
    if (!parsed.success) return ignored(`event_callback: ${describeIssues(parsed.error)}`);
    if (parsed.data.event.type === 'app_home_opened') {
      const home = appHomeOpened.safeParse(parsed.data.event);
      if (!home.success) return ignored(`app_home_opened: ${describeIssues(home.error)}`);
    }
    if (foreign(eventTeamOf(body))) return ignored('event_callback: from another workspace');
    return { kind: 'dispatch', body };
  }
  if (UNHANDLED_TYPES.has(type)) return ignored(`${type}: not a surface Liftoff answers`);
  return ignored('a payload type Liftoff does not know');
}

/**
 * Reads a verified request body into the object Bolt routes. A body that is not Slack's at all (a JSON `null`,
 * an interactivity payload that is not JSON, a form with neither command nor type) is `invalid`; a Slack-shaped
 * body missing or mistyping anything Bolt or the listeners read, from another workspace, with a response URL
 * that is not Slack's, or for an action Liftoff does not answer, is `ignored`. A signature proves who sent a
 * body, not that it is well formed: Bolt's routing dereferences `user.id`, `team.id`, iterates `actions`…
 * and answers such bodies with a 500 or not at all.
 */
export function parseSlackBody(
  rawBody: string,
  contentType: string | undefined,
  policy: SlackBodyPolicy,
): SlackBody | { kind: 'invalid'; why: string } {
  let candidate: unknown;
  if ((contentType ?? '').includes('application/json')) {
    try {
      candidate = JSON.parse(rawBody);
    } catch {
      return { kind: 'invalid', why: 'the JSON body does not parse' };
    }
  } else {
    const form = Object.fromEntries(new URLSearchParams(rawBody));
    if (typeof form.payload === 'string') {
      try {
        candidate = JSON.parse(form.payload);
      } catch {
        return { kind: 'invalid', why: 'the interactivity payload is not JSON' };
      }
    } else {
      candidate = form;
    }
  }
  const parsed = payloadObject.safeParse(candidate);
  if (!parsed.success) return { kind: 'invalid', why: 'the body is not an object' };
  const body = parsed.data;
  if (body.type === 'url_verification' && typeof body.challenge === 'string') {
    return { kind: 'url_verification', challenge: body.challenge };
  }
  if (body.ssl_check === '1') return { kind: 'ssl_check' };
  const isCommand = typeof body.command === 'string';
  const isInteraction = typeof body.type === 'string';
  if (!isCommand && !isInteraction)
    return { kind: 'invalid', why: 'the body is neither a command, an event nor an interaction' };
  return checkShape(body, policy);
}
