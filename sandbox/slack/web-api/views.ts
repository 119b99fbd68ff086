/** `views.publish`: the Home tab the app publishes for each user. */
import { z } from 'zod';

import { normalizeBlocks, validateBlocks } from '../block-kit.js';
import { makeBlockId, randomId } from './ids.js';
import {
  blockFailure,
  fail,
  missingField,
  ok,
  type ApiAnswer,
  type MethodContext,
  type MethodRegistry,
} from './method.js';
import { unknownArraySchema } from './params.js';
import { USER_ID_PATTERN, type EmulatorState } from './state.js';
import type { PublishedView } from './types.js';

const homeViewSchema = z.strictObject({
  type: z.string(),
  blocks: unknownArraySchema,
  private_metadata: z.string().max(3000).optional(),
  callback_id: z.string().max(255).optional(),
  external_id: z.string().optional(),
});

/** views.publish (the only views method Liftoff calls). */
export function viewMethods(state: EmulatorState): MethodRegistry {
  return {
    'views.publish': { acceptsJson: true, handle: (c) => publishView(state, c) },
  };
}

function publishView(state: EmulatorState, { params, now }: MethodContext): ApiAnswer {
  const userId = params.string('user_id');
  if (userId === undefined || userId === '') return missingField('invalid_arguments', 'user_id');
  if (!USER_ID_PATTERN.test(userId)) return fail('user_not_found');
  const viewArg = params.json('view');
  if (viewArg.kind === 'absent') return missingField('invalid_arguments', 'view');
  if (viewArg.kind === 'malformed')
    return fail('invalid_arguments', {
      response_metadata: { messages: ['[ERROR] failed to parse json [json-pointer:/view]'] },
    });
  const parsed = homeViewSchema.safeParse(viewArg.value);
  if (!parsed.success) {
    const messages = parsed.error.issues.map(
      (issue) =>
        `[ERROR] ${issue.message} [json-pointer:/view${issue.path.map((part) => `/${String(part)}`).join('')}]`,
    );
    return fail('invalid_arguments', { response_metadata: { messages } });
  }
  const view = parsed.data;
  // views.publish is for Home tabs only: a modal view here is refused.
  if (view.type !== 'home')
    return fail('invalid_arguments', {
      response_metadata: { messages: ['[ERROR] must be home [json-pointer:/view/type]'] },
    });
  const issues = validateBlocks(view.blocks, 'home');
  if (issues.length > 0) return blockFailure('invalid_arguments', issues, '/view');
  const previous = state.views.get(userId);
  const hash = params.string('hash');
  if (hash !== undefined && hash !== '' && previous !== undefined && hash !== previous.hash)
    return fail('hash_conflict');
  const id = previous?.id ?? randomId('V');
  const stored: Record<string, unknown> = {
    id,
    team_id: state.identity.teamId,
    type: 'home',
    blocks: normalizeBlocks(view.blocks, makeBlockId),
    private_metadata: view.private_metadata ?? '',
    callback_id: view.callback_id ?? '',
    state: { values: {} },
    hash: `${Math.floor(now.getTime() / 1000)}.${randomId('', 8, '0123456789abcdef')}`,
    title: { type: 'plain_text', text: 'View Title', emoji: true },
    clear_on_close: false,
    notify_on_close: false,
    close: null,
    submit: null,
    previous_view_id: null,
    root_view_id: id,
    app_id: state.identity.appId,
    external_id: view.external_id ?? '',
    app_installed_team_id: state.identity.teamId,
    bot_id: state.identity.botId,
  };
  const published: PublishedView = {
    id,
    userId,
    view: stored,
    hash: String(stored['hash']),
    publishedAt: now,
    history: [...(previous?.history ?? []), stored],
  };
  state.views.set(userId, published);
  state.events.emit('view_published', published);
  return ok({ view: stored });
}
