/**
 * Block Kit checks the Slack emulator applies before it accepts blocks, and the
 * normalisation Slack applies to what it stores.
 *
 * Limits come from Slack's Block Kit reference (docs.slack.dev/reference/block-kit):
 * 50 blocks a message, 100 a Home tab; block_id and action_id ≤ 255; section text
 * 1–3,000 characters, ≤ 10 fields of ≤ 2,000; header text ≤ 150 (plain_text only);
 * button text ≤ 75, value ≤ 2,000, url ≤ 3,000; context ≤ 10 elements; actions ≤ 25
 * elements; image alt_text ≤ 2,000, image_url ≤ 3,000; markdown text ≤ 12,000 for all
 * markdown blocks of a payload together. Slack refuses properties a block or element
 * does not define ("invalid additional property"), so the blocks and elements modelled
 * fully here refuse them too; the others are checked for their type and ids only.
 */

/** One reason Slack would refuse the blocks, with Slack's JSON pointer into the payload. */
export interface BlockIssue {
  readonly pointer: string;
  readonly message: string;
}

/** Where the blocks are shown: Slack allows 50 blocks in a message and 100 in a Home tab. */
export type BlockSurface = 'message' | 'home';

export const MAX_BLOCKS: Readonly<Record<BlockSurface, number>> = { message: 50, home: 100 };
export const MAX_SECTION_TEXT = 3000;
export const MAX_SECTION_FIELDS = 10;
export const MAX_SECTION_FIELD_TEXT = 2000;
export const MAX_HEADER_TEXT = 150;
export const MAX_BUTTON_TEXT = 75;
export const MAX_BUTTON_VALUE = 2000;
export const MAX_URL = 3000;
export const MAX_ID = 255;
export const MAX_CONTEXT_ELEMENTS = 10;
export const MAX_ACTIONS_ELEMENTS = 25;
export const MAX_ALT_TEXT = 2000;
export const MAX_MARKDOWN_TOTAL = 12000;

/**
 * Slack refuses a message whose blocks are too long as a whole with `msg_blocks_too_long`,
 * and documents no number. Reports (slackapi/bolt-js#2509, #2867) put the refusal just
 * above 13,000 characters: markdown-only blocks were refused from 13,297 characters and
 * 13,172 once a divider was added, and a Slack engineer described the limit as 12,000
 * characters of text plus a buffer for the block containers. The emulator measures the
 * compact JSON of the blocks, which is never shorter than their text, and refuses above
 * 13,000 characters: below every refusal reported, so it is never kinder than Slack, at
 * the price of refusing a few messages between 13,000 and ~13,300 that Slack might take.
 */
export const MAX_BLOCKS_JSON_LENGTH = 13_000;

const INTERACTIVE_ELEMENTS = new Set([
  'button',
  'checkboxes',
  'datepicker',
  'datetimepicker',
  'email_text_input',
  'file_input',
  'multi_channels_select',
  'multi_conversations_select',
  'multi_external_select',
  'multi_static_select',
  'multi_users_select',
  'number_input',
  'overflow',
  'plain_text_input',
  'radio_buttons',
  'rich_text_input',
  'channels_select',
  'conversations_select',
  'external_select',
  'static_select',
  'users_select',
  'timepicker',
  'url_text_input',
  'workflow_button',
  'feedback_buttons',
  'icon_button',
]);

const SECTION_ACCESSORIES = new Set([
  'button',
  'checkboxes',
  'datepicker',
  'image',
  'multi_channels_select',
  'multi_conversations_select',
  'multi_external_select',
  'multi_static_select',
  'multi_users_select',
  'overflow',
  'radio_buttons',
  'channels_select',
  'conversations_select',
  'external_select',
  'static_select',
  'users_select',
  'timepicker',
  'workflow_button',
]);

const ACTIONS_ELEMENTS = new Set([
  'button',
  'checkboxes',
  'datepicker',
  'datetimepicker',
  'multi_channels_select',
  'multi_conversations_select',
  'multi_external_select',
  'multi_static_select',
  'multi_users_select',
  'overflow',
  'radio_buttons',
  'channels_select',
  'conversations_select',
  'external_select',
  'static_select',
  'users_select',
  'timepicker',
  'workflow_button',
  'rich_text_input',
]);

const KNOWN_BLOCKS = new Set([
  'actions',
  'context',
  'context_actions',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'video',
]);

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class IssueCollector {
  readonly issues: BlockIssue[] = [];
  add(pointer: string, message: string): void {
    this.issues.push({ pointer, message });
  }
  /** Properties outside `allowed` are refused, as Slack's schema does. */
  onlyProperties(value: JsonObject, pointer: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.add(pointer, `invalid additional property: ${key}`);
    }
  }
  maxLength(value: unknown, pointer: string, max: number): void {
    if (typeof value === 'string' && value.length > max) this.add(pointer, `must be less than ${max + 1} characters`);
  }
  optionalString(value: JsonObject, key: string, pointer: string, max: number): void {
    const field = value[key];
    if (field === undefined) return;
    if (typeof field !== 'string') this.add(`${pointer}/${key}`, 'must be a string');
    else this.maxLength(field, `${pointer}/${key}`, max);
  }
}

/**
 * A text object (`plain_text` or `mrkdwn`), its text between 1 and `max` characters.
 * `onlyPlain` refuses mrkdwn where Slack asks for plain_text (headers, button labels).
 */
function checkTextObject(out: IssueCollector, value: unknown, pointer: string, max: number, onlyPlain = false): void {
  if (!isObject(value)) {
    out.add(pointer, 'must be an object');
    return;
  }
  const type = value['type'];
  if (type !== 'plain_text' && type !== 'mrkdwn') {
    out.add(`${pointer}/type`, 'must be one of: plain_text, mrkdwn');
    return;
  }
  if (onlyPlain && type !== 'plain_text') out.add(`${pointer}/type`, 'must be plain_text');
  out.onlyProperties(value, pointer, type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim']);
  const text = value['text'];
  if (typeof text !== 'string') {
    out.add(`${pointer}/text`, 'missing required field: text');
    return;
  }
  if (text.length === 0) out.add(`${pointer}/text`, 'must be more than 0 characters');
  out.maxLength(text, `${pointer}/text`, max);
  if (value['emoji'] !== undefined && typeof value['emoji'] !== 'boolean')
    out.add(`${pointer}/emoji`, 'must be a boolean');
  if (value['verbatim'] !== undefined && typeof value['verbatim'] !== 'boolean')
    out.add(`${pointer}/verbatim`, 'must be a boolean');
}

function checkConfirm(out: IssueCollector, value: unknown, pointer: string): void {
  if (!isObject(value)) {
    out.add(pointer, 'must be an object');
    return;
  }
  out.onlyProperties(value, pointer, ['title', 'text', 'confirm', 'deny', 'style']);
  checkTextObject(out, value['title'], `${pointer}/title`, 100, true);
  checkTextObject(out, value['text'], `${pointer}/text`, 300);
  checkTextObject(out, value['confirm'], `${pointer}/confirm`, 30, true);
  checkTextObject(out, value['deny'], `${pointer}/deny`, 30, true);
  const style = value['style'];
  if (style !== undefined && style !== 'primary' && style !== 'danger')
    out.add(`${pointer}/style`, 'must be one of: primary, danger');
}

function checkImageElement(out: IssueCollector, value: JsonObject, pointer: string): void {
  out.onlyProperties(value, pointer, ['type', 'image_url', 'slack_file', 'alt_text']);
  const alt = value['alt_text'];
  if (typeof alt !== 'string') out.add(`${pointer}/alt_text`, 'missing required field: alt_text');
  else out.maxLength(alt, `${pointer}/alt_text`, MAX_ALT_TEXT);
  if (value['image_url'] === undefined && value['slack_file'] === undefined)
    out.add(pointer, 'must provide either image_url or slack_file');
  out.optionalString(value, 'image_url', pointer, MAX_URL);
}

function checkElement(
  out: IssueCollector,
  value: unknown,
  pointer: string,
  allowed: ReadonlySet<string>,
  actionIds: Set<string>,
): void {
  if (!isObject(value)) {
    out.add(pointer, 'must be an object');
    return;
  }
  const type = value['type'];
  if (typeof type !== 'string' || !allowed.has(type)) {
    out.add(`${pointer}/type`, `unsupported type: ${String(type)}`);
    return;
  }
  if (type === 'image') {
    checkImageElement(out, value, pointer);
    return;
  }
  const actionId = value['action_id'];
  if (actionId !== undefined) {
    if (typeof actionId !== 'string') out.add(`${pointer}/action_id`, 'must be a string');
    else {
      out.maxLength(actionId, `${pointer}/action_id`, MAX_ID);
      if (actionIds.has(actionId)) out.add(`${pointer}/action_id`, `duplicate action_id: ${actionId}`);
      actionIds.add(actionId);
    }
  }
  if (type === 'button') {
    out.onlyProperties(value, pointer, [
      'type',
      'text',
      'action_id',
      'url',
      'value',
      'style',
      'confirm',
      'accessibility_label',
    ]);
    checkTextObject(out, value['text'], `${pointer}/text`, MAX_BUTTON_TEXT, true);
    out.optionalString(value, 'value', pointer, MAX_BUTTON_VALUE);
    out.optionalString(value, 'url', pointer, MAX_URL);
    out.optionalString(value, 'accessibility_label', pointer, MAX_BUTTON_TEXT);
    const style = value['style'];
    if (style !== undefined && style !== 'primary' && style !== 'danger')
      out.add(`${pointer}/style`, 'must be one of: primary, danger');
    if (value['confirm'] !== undefined) checkConfirm(out, value['confirm'], `${pointer}/confirm`);
  }
}

function checkElements(
  out: IssueCollector,
  value: unknown,
  pointer: string,
  max: number,
  allowed: ReadonlySet<string>,
): void {
  if (!Array.isArray(value)) {
    out.add(pointer, 'missing required field: elements');
    return;
  }
  if (value.length === 0) out.add(pointer, 'must provide at least 1 item');
  if (value.length > max) out.add(pointer, `no more than ${max} items allowed`);
  const actionIds = new Set<string>();
  value.forEach((element, index) => checkElement(out, element, `${pointer}/${index}`, allowed, actionIds));
}

function checkContextElement(out: IssueCollector, value: unknown, pointer: string): void {
  if (isObject(value) && value['type'] === 'image') {
    checkImageElement(out, value, pointer);
    return;
  }
  checkTextObject(out, value, pointer, MAX_SECTION_TEXT);
}

function checkBlock(out: IssueCollector, block: unknown, pointer: string, blockIds: Set<string>): number {
  if (!isObject(block)) {
    out.add(pointer, 'must be an object');
    return 0;
  }
  const type = block['type'];
  if (typeof type !== 'string') {
    out.add(`${pointer}/type`, 'missing required field: type');
    return 0;
  }
  if (!KNOWN_BLOCKS.has(type)) {
    out.add(`${pointer}/type`, `unsupported type: ${type}`);
    return 0;
  }
  const blockId = block['block_id'];
  if (blockId !== undefined) {
    if (typeof blockId !== 'string' || blockId.length === 0)
      out.add(`${pointer}/block_id`, 'must be a non-empty string');
    else {
      out.maxLength(blockId, `${pointer}/block_id`, MAX_ID);
      if (blockIds.has(blockId)) out.add(`${pointer}/block_id`, `duplicate block_id: ${blockId}`);
      blockIds.add(blockId);
    }
  }
  switch (type) {
    case 'section': {
      out.onlyProperties(block, pointer, ['type', 'text', 'block_id', 'fields', 'accessory', 'expand']);
      const fields = block['fields'];
      if (block['text'] === undefined && fields === undefined) out.add(pointer, 'must provide either text or fields');
      if (block['text'] !== undefined) checkTextObject(out, block['text'], `${pointer}/text`, MAX_SECTION_TEXT);
      if (fields !== undefined) {
        if (!Array.isArray(fields)) out.add(`${pointer}/fields`, 'must be an array');
        else {
          if (fields.length === 0) out.add(`${pointer}/fields`, 'must provide at least 1 item');
          if (fields.length > MAX_SECTION_FIELDS)
            out.add(`${pointer}/fields`, `no more than ${MAX_SECTION_FIELDS} items allowed`);
          fields.forEach((field, index) =>
            checkTextObject(out, field, `${pointer}/fields/${index}`, MAX_SECTION_FIELD_TEXT),
          );
        }
      }
      if (block['accessory'] !== undefined)
        checkElement(out, block['accessory'], `${pointer}/accessory`, SECTION_ACCESSORIES, new Set());
      if (block['expand'] !== undefined && typeof block['expand'] !== 'boolean')
        out.add(`${pointer}/expand`, 'must be a boolean');
      return 0;
    }
    case 'header':
      out.onlyProperties(block, pointer, ['type', 'text', 'block_id']);
      checkTextObject(out, block['text'], `${pointer}/text`, MAX_HEADER_TEXT, true);
      return 0;
    case 'divider':
      out.onlyProperties(block, pointer, ['type', 'block_id']);
      return 0;
    case 'actions':
      out.onlyProperties(block, pointer, ['type', 'elements', 'block_id']);
      checkElements(out, block['elements'], `${pointer}/elements`, MAX_ACTIONS_ELEMENTS, ACTIONS_ELEMENTS);
      return 0;
    case 'context': {
      out.onlyProperties(block, pointer, ['type', 'elements', 'block_id']);
      const elements = block['elements'];
      if (!Array.isArray(elements)) {
        out.add(`${pointer}/elements`, 'missing required field: elements');
        return 0;
      }
      if (elements.length === 0) out.add(`${pointer}/elements`, 'must provide at least 1 item');
      if (elements.length > MAX_CONTEXT_ELEMENTS)
        out.add(`${pointer}/elements`, `no more than ${MAX_CONTEXT_ELEMENTS} items allowed`);
      elements.forEach((element, index) => checkContextElement(out, element, `${pointer}/elements/${index}`));
      return 0;
    }
    case 'image': {
      out.onlyProperties(block, pointer, ['type', 'image_url', 'slack_file', 'alt_text', 'title', 'block_id']);
      const alt = block['alt_text'];
      if (typeof alt !== 'string') out.add(`${pointer}/alt_text`, 'missing required field: alt_text');
      else out.maxLength(alt, `${pointer}/alt_text`, MAX_ALT_TEXT);
      if (block['image_url'] === undefined && block['slack_file'] === undefined)
        out.add(pointer, 'must provide either image_url or slack_file');
      out.optionalString(block, 'image_url', pointer, MAX_URL);
      if (block['title'] !== undefined) checkTextObject(out, block['title'], `${pointer}/title`, MAX_ALT_TEXT, true);
      return 0;
    }
    case 'markdown': {
      out.onlyProperties(block, pointer, ['type', 'text', 'block_id']);
      const text = block['text'];
      if (typeof text !== 'string') {
        out.add(`${pointer}/text`, 'missing required field: text');
        return 0;
      }
      if (text.length === 0) out.add(`${pointer}/text`, 'must be more than 0 characters');
      return text.length;
    }
    case 'input':
      if (!isObject(block['element'])) out.add(`${pointer}/element`, 'missing required field: element');
      checkTextObject(out, block['label'], `${pointer}/label`, MAX_ALT_TEXT, true);
      if (isObject(block['element']))
        checkElement(out, block['element'], `${pointer}/element`, INTERACTIVE_ELEMENTS, new Set());
      return 0;
    case 'rich_text':
    case 'context_actions':
      if (!Array.isArray(block['elements'])) out.add(`${pointer}/elements`, 'missing required field: elements');
      return 0;
    default:
      // file, video, table: type and block_id checked above; their inner schemas are not modelled.
      return 0;
  }
}

/**
 * Checks `blocks` as Slack's Block Kit schema would and returns every issue found
 * (empty when Slack would accept them). `blocks` must already be decoded from JSON.
 */
export function validateBlocks(blocks: unknown, surface: BlockSurface): readonly BlockIssue[] {
  const out = new IssueCollector();
  if (!Array.isArray(blocks)) {
    out.add('/blocks', 'must be an array');
    return out.issues;
  }
  const max = MAX_BLOCKS[surface];
  if (blocks.length > max) out.add('/blocks', `no more than ${max} items allowed`);
  const blockIds = new Set<string>();
  let markdownTotal = 0;
  blocks.forEach((block, index) => {
    markdownTotal += checkBlock(out, block, `/blocks/${index}`, blockIds);
  });
  if (markdownTotal > MAX_MARKDOWN_TOTAL)
    out.add('/blocks', `markdown blocks must be less than ${MAX_MARKDOWN_TOTAL + 1} characters in total`);
  return out.issues;
}

/** Slack's wording for block issues, as found in `response_metadata.messages`. */
export function formatBlockIssue(issue: BlockIssue): string {
  return `[ERROR] ${issue.message} [json-pointer:${issue.pointer}]`;
}

/** Slack's wording for block issues, as found in the `errors` array of an answer. */
export function describeBlockIssue(issue: BlockIssue): string {
  return `${issue.message} [json-pointer:${issue.pointer}]`;
}

/** True when the blocks as a whole exceed what Slack takes in one message (see MAX_BLOCKS_JSON_LENGTH). */
export function blocksTooLong(blocks: readonly unknown[]): boolean {
  return JSON.stringify(blocks).length > MAX_BLOCKS_JSON_LENGTH;
}

/**
 * What Slack stores for blocks it accepted: a generated `block_id` on blocks without one,
 * a generated `action_id` on interactive elements without one and `emoji: true` on
 * plain_text objects. `makeId` supplies the generated ids.
 */
export function normalizeBlocks(blocks: readonly unknown[], makeId: () => string): unknown[] {
  const normalizeText = (value: unknown): unknown =>
    isObject(value) && value['type'] === 'plain_text' && value['emoji'] === undefined
      ? { ...value, emoji: true }
      : value;
  const normalizeElement = (value: unknown): unknown => {
    if (!isObject(value)) return value;
    const copy: JsonObject = { ...value };
    if (typeof copy['type'] === 'string' && INTERACTIVE_ELEMENTS.has(copy['type']) && copy['action_id'] === undefined)
      copy['action_id'] = makeId();
    if (copy['text'] !== undefined) copy['text'] = normalizeText(copy['text']);
    return copy;
  };
  return blocks.map((block) => {
    if (!isObject(block)) return block;
    const copy: JsonObject = { ...block };
    if (copy['block_id'] === undefined) copy['block_id'] = makeId();
    if (copy['type'] !== 'markdown' && copy['text'] !== undefined) copy['text'] = normalizeText(copy['text']);
    if (Array.isArray(copy['fields'])) copy['fields'] = copy['fields'].map(normalizeText);
    if (copy['type'] !== 'rich_text' && Array.isArray(copy['elements']))
      copy['elements'] = copy['elements'].map((element) =>
        isObject(element) && (element['type'] === 'plain_text' || element['type'] === 'mrkdwn')
          ? normalizeText(element)
          : normalizeElement(element),
      );
    if (copy['accessory'] !== undefined) copy['accessory'] = normalizeElement(copy['accessory']);
    if (copy['element'] !== undefined) copy['element'] = normalizeElement(copy['element']);
    return copy;
  });
}

/** Finds the interactive element with `actionId` in stored blocks, with the block that holds it. */
export function findActionElement(
  blocks: readonly unknown[],
  actionId: string,
): { readonly blockId: string; readonly element: Readonly<JsonObject> } | undefined {
  for (const block of blocks) {
    if (!isObject(block)) continue;
    const blockId = typeof block['block_id'] === 'string' ? block['block_id'] : '';
    const candidates: unknown[] = [];
    if (Array.isArray(block['elements'])) candidates.push(...(block['elements'] as unknown[]));
    if (block['accessory'] !== undefined) candidates.push(block['accessory']);
    if (block['element'] !== undefined) candidates.push(block['element']);
    for (const element of candidates) {
      if (isObject(element) && element['action_id'] === actionId) return { blockId, element };
    }
  }
  return undefined;
}
