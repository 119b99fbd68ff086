export * from './web-api-emulator.js';
export * from './request-sender.js';
export {
  MAX_BLOCKS,
  MAX_BLOCKS_JSON_LENGTH,
  MAX_BUTTON_VALUE,
  MAX_ID,
  MAX_SECTION_TEXT,
  validateBlocks,
  type BlockIssue,
  type BlockSurface,
} from './block-kit.js';
