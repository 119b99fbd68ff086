/** `auth.test`: who the token belongs to. */
import { ok, type ApiAnswer, type MethodRegistry } from './method.js';
import type { EmulatorState } from './state.js';

/** auth.test. */
export function authMethods(state: EmulatorState): MethodRegistry {
  return {
    'auth.test': { acceptsJson: true, handle: () => authTest(state) },
  };
}

function authTest(state: EmulatorState): ApiAnswer {
  return ok({
    url: state.baseUrl,
    team: state.identity.teamName,
    user: state.identity.botName,
    team_id: state.identity.teamId,
    user_id: state.identity.botUserId,
    bot_id: state.identity.botId,
    is_enterprise_install: false,
  });
}
