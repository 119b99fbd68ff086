import type { App, SlackEventMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import type { RunbookOverview } from '../deploy/home-overview.js';
import { appHomeView } from '../ui/app-home.js';
import { withBookkeeping, type Handled } from './bookkeeping.js';
import type { HandlerContext } from './handler-context.js';

const homeOpened = z.object({ user: z.string().min(1), tab: z.string().optional() });

/** The App Home tab, published each time a user opens it. */
export function registerAppHome(app: App, ctx: HandlerContext, overview: () => Promise<RunbookOverview[]>): void {
  app.event(
    'app_home_opened',
    withBookkeeping<SlackEventMiddlewareArgs<'app_home_opened'>>(
      ctx,
      'app_home_opened',
      async ({ event, client }): Promise<Handled | undefined> => {
        const parsed = homeOpened.safeParse(event);
        if (!parsed.success || (parsed.data.tab !== undefined && parsed.data.tab !== 'home')) return undefined;
        try {
          await client.views.publish({ user_id: parsed.data.user, view: appHomeView(await overview()) });
          return { outcome: 'ok' };
        } catch (error) {
          ctx.logger.error('publishing the App Home failed', error);
          return { outcome: 'error' };
        }
      },
    ),
  );
}
