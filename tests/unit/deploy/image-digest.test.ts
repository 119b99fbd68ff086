import { isImageDigest, pinnedImage } from '../../../src/deploy/image-digest.js';

const DIGEST = `sha256:${'ab12'.repeat(16)}`;

describe('pinnedImage', () => {
  it.each([
    [
      'europe-west1-docker.pkg.dev/p/app/emergence-app:deploy-20251008-183707',
      'europe-west1-docker.pkg.dev/p/app/emergence-app',
    ],
    ['europe-west1-docker.pkg.dev/p/app/emergence-app', 'europe-west1-docker.pkg.dev/p/app/emergence-app'],
    // A registry host with a port: the colon before the last slash is not a tag.
    ['localhost:5000/team/app:v1', 'localhost:5000/team/app'],
    ['localhost:5000/team/app', 'localhost:5000/team/app'],
    [`gcr.io/p/app:v1@sha256:${'0'.repeat(64)}`, 'gcr.io/p/app'],
  ])('%s → the repository at the digest', (image, repository) => {
    expect(pinnedImage(image, DIGEST)).toBe(`${repository}@${DIGEST}`);
  });

  it('knows a digest from anything else', () => {
    expect(isImageDigest(DIGEST)).toBe(true);
    expect(isImageDigest('sha256:abc')).toBe(false);
    expect(isImageDigest(`sha512:${'a'.repeat(64)}`)).toBe(false);
    expect(isImageDigest('deploy-20251008-183707')).toBe(false);
  });
});
