import {
  MAX_REVISION_NAME,
  MAX_TAG_AND_SERVICE,
  namePiece,
  revisionName,
  revisionTag,
} from '../../../src/deploy/revision-tag.js';

const LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const SHORT = 'emergence-app';
const FORTY = 'emergence-app-europe-west1-analysis-prod'; // 40 characters

function tagOf(service: string, text: string): string {
  const result = revisionTag(service, text);
  if (!result.ok) throw new Error(result.message);
  return result.tag;
}

/** What Cloud Run checks of a tag (the emulator's rule, sandbox/gcp/run-validation.ts). */
function expectValidTag(service: string, tag: string): void {
  expect(tag).toMatch(LABEL);
  expect(tag.length).toBeGreaterThanOrEqual(3);
  expect(tag.length + service.length).toBeLessThanOrEqual(MAX_TAG_AND_SERVICE);
}

describe('namePiece', () => {
  it.each([
    ['deploy-20251009-073931', 'deploy-20251009-073931'],
    ['Cockpit_Phase3 20251009', 'cockpit-phase3-20251009'],
    ['--v1.2.3--', 'v1-2-3'],
    ['42', '42'],
  ])('%s → %s', (text, piece) => {
    expect(namePiece(text)).toBe(piece);
  });
});

describe('revisionTag', () => {
  it('keeps a tag that fits as it is', () => {
    expect(tagOf(SHORT, 'build-deploy-20251009-073931')).toBe('build-deploy-20251009-073931');
    expect(tagOf(SHORT, 'redeploy-3fa2c1')).toBe('redeploy-3fa2c1');
  });

  it('shortens the redeploy tag for a 40-character service name, within 46 characters with it', () => {
    expect(FORTY).toHaveLength(40);
    const tag = tagOf(FORTY, 'redeploy-3fa2c1');
    expectValidTag(FORTY, tag);
    expect(tag).toHaveLength(6);
    expect(tag.startsWith('r')).toBe(true);
  });

  it('keeps the head of the text and a hash when there is room for both', () => {
    const service = 'emergence-app-europe-west1'; // 26: 20 left
    const tag = tagOf(service, 'build-cockpit-phase3-20251009-073931');
    expectValidTag(service, tag);
    expect(tag).toMatch(/^build-cockp-[0-9a-f]{8}$/);
    expect(tag).toHaveLength(20);
  });

  it('gives different tags to texts that differ only past the cut, and the same tag to the same text', () => {
    for (const service of [FORTY, 'emergence-app-europe-west1', 'a'.repeat(32), 'a'.repeat(43)]) {
      const first = tagOf(service, 'build-deploy-20251009-073931');
      const second = tagOf(service, 'build-deploy-20251009-073932');
      expectValidTag(service, first);
      expectValidTag(service, second);
      expect(first).not.toBe(second);
      expect(tagOf(service, 'build-deploy-20251009-073931')).toBe(first);
    }
  });

  it('never ends on a dash, and begins with a letter even for a numeric build tag', () => {
    for (let length = 1; length <= 43; length += 1) {
      const service = 'a'.repeat(length);
      expectValidTag(service, tagOf(service, 'build-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16'));
      expectValidTag(service, tagOf(service, '42'));
    }
    expect(tagOf(SHORT, '42')).toBe('t42');
  });

  it('refuses when the service name leaves no room for a 3-character tag (44 characters or more)', () => {
    const result = revisionTag('a'.repeat(44), 'redeploy-3fa2c1');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toContain('46 characters');
    expect(revisionTag('a'.repeat(43), 'redeploy-3fa2c1').ok).toBe(true);
  });
});

describe('revisionName', () => {
  it('is <service>-<what>-<unique> when it fits', () => {
    expect(revisionName(SHORT, 'deploy-20251009-073931', 'a1b2c3')).toBe('emergence-app-deploy-20251009-073931-a1b2c3');
    expect(revisionName(SHORT, 'redeploy', '3fa2c1')).toBe('emergence-app-redeploy-3fa2c1');
  });

  it('keeps the unique end whole and the name a valid label of at most 63 characters when shortened', () => {
    for (let length = 1; length <= 49; length += 1) {
      const service = `${'s'.repeat(length - 1)}a`;
      for (const what of ['deploy-20251009-073931', 'cockpit-phase3-20251009-073931', 'redeploy']) {
        const name = revisionName(service, what, 'a1b2c3');
        expect(name).toMatch(LABEL);
        expect(name.length).toBeLessThanOrEqual(MAX_REVISION_NAME);
        expect(name.startsWith(`${service}-`)).toBe(true);
        expect(name.endsWith('-a1b2c3')).toBe(true);
      }
    }
    expect(revisionName(FORTY, 'deploy-20251009-073931', 'a1b2c3')).not.toBe(
      revisionName(FORTY, 'deploy-20251009-073931', 'a1b2c4'),
    );
  });

  it('keeps the redeploy suffix whole for a 49-character service, where slicing at 63 cut it', () => {
    const service = `${'s'.repeat(48)}a`;
    expect(`${service}-redeploy-3fa2c1`.slice(0, 63).endsWith('-3fa2c1')).toBe(false);
    const name = revisionName(service, 'redeploy', '3fa2c1');
    expect(name).toMatch(LABEL);
    expect(name.length).toBeLessThanOrEqual(MAX_REVISION_NAME);
    expect(name.endsWith('-3fa2c1')).toBe(true);
  });
});
