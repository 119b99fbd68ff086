/** A content digest as registries name them: `sha256:` and 64 hex digits. */
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export const isImageDigest = (value: string): boolean => DIGEST.test(value);

/**
 * The image reference pinned to the bytes the build pushed: `repository@sha256:…`, the tag dropped. A tag can be
 * moved after the build (a second push, someone's retag); a digest cannot, so what ships is exactly what was built.
 */
export function pinnedImage(image: string, digest: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const repository = colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
  return `${repository}@${digest}`;
}
