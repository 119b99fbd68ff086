import type { KnownBlock } from '@slack/types';

/**
 * A message as the Slack adapters send it (`chat.postMessage`, `chat.update`): what the Block Kit builders of
 * src/ui return. The adapters render nothing themselves; the bot hands them the builders.
 */
export interface ChatMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}
