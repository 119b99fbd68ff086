import { nextBuildTag } from '../../../src/deploy/build-tag.js';

const now = new Date('2026-11-24T13:05:09.250Z');
const file = 'build_tag.txt';

describe('nextBuildTag', () => {
  it.each([
    ['a bare counter', '41', 'counter', '41', '42', '42'],
    ['a counter with a newline', '41\n', 'auto', '41', '42', '42\n'],
    [
      'the KEY= file the team really had',
      'IMAGE_TAG=deploy-20251008-183707\n',
      'auto',
      'deploy-20251008-183707',
      'deploy-20261124-130509',
      'IMAGE_TAG=deploy-20261124-130509\n',
    ],
    [
      'a prefixed timestamp with CRLF',
      'cockpit-phase3-20251009-073931\r\n',
      'auto',
      'cockpit-phase3-20251009-073931',
      'cockpit-phase3-20261124-130509',
      'cockpit-phase3-20261124-130509\r\n',
    ],
    ['the timestamp scheme over a counter', '7', 'timestamp', '7', 'deploy-20261124-130509', 'deploy-20261124-130509'],
    [
      'other lines kept',
      'IMAGE_TAG=3\n# bumped by Liftoff\n',
      'counter',
      '3',
      '4',
      'IMAGE_TAG=4\n# bumped by Liftoff\n',
    ],
  ] as const)('follows %s', (_name, content, scheme, current, next, written) => {
    expect(nextBuildTag({ content, scheme, now, file })).toEqual({ ok: true, current, next, content: written });
  });

  it('never goes backwards when the last tag is from this second or the future', () => {
    const result = nextBuildTag({ content: 'deploy-20261124-130509', scheme: 'auto', now, file });
    expect(result).toMatchObject({ ok: true, next: 'deploy-20261124-130510' });
    const ahead = nextBuildTag({ content: 'deploy-20261124-140000', scheme: 'auto', now, file });
    expect(ahead).toMatchObject({ ok: true, next: 'deploy-20261124-140001' });
  });

  it.each([
    [
      'counter over a timestamp (the seed runbook would write NaN)',
      'IMAGE_TAG=deploy-20251008-183707',
      'counter',
      /counter.*whole number/,
    ],
    ['an empty file', '', 'auto', /empty/],
    ['free text', 'latest-good', 'auto', /neither a number nor/],
    ['a prefix no image tag accepts', 'Cockpit_Phase3-20251009-073931', 'auto', /not be a valid image/],
  ] as const)('refuses %s and shows the content and the fix', (_name, content, scheme, why) => {
    const result = nextBuildTag({ content, scheme, now, file });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(why);
      expect(result.message).toContain(`${file} holds ${JSON.stringify(content)}`);
      expect(result.message).not.toMatch(/NaN/);
    }
  });
});
