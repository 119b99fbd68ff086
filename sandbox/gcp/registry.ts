/**
 * An in-memory Artifact Registry: the images builds push and revisions pull.
 *
 * Pushing needs the repository to exist (Artifact Registry does not create repositories on
 * push unless asked to), and nothing can be pushed to Container Registry (`gcr.io`) any more:
 * it stopped accepting writes on 18 March 2025, except where gcr.io is hosted on Artifact
 * Registry (https://cloud.google.com/artifact-registry/docs/transition/gcr-repositories).
 */
import { createHash, randomBytes } from 'node:crypto';

export interface ImageReference {
  /** `host/path`, e.g. `europe-west1-docker.pkg.dev/p/app/emergence-app`. */
  readonly repository: string;
  readonly host: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+([._-][a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses `host/path[:tag][@sha256:…]`; undefined when it is not a valid image reference. */
export function parseImageReference(image: string): ImageReference | undefined {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split('/');
  const host = parts[0] ?? '';
  if (parts.length < 2 || !HOST.test(host) || !host.includes('.')) return undefined;
  if (!parts.slice(1).every((part) => PATH_COMPONENT.test(part))) return undefined;
  return { repository: rest, host, tag, digest };
}

/** Container Registry hosts: gcr.io, us.gcr.io, eu.gcr.io, asia.gcr.io. */
export function isContainerRegistryHost(host: string): boolean {
  return host === 'gcr.io' || host.endsWith('.gcr.io');
}

/** The Artifact Registry repository an image lives in: `LOCATION-docker.pkg.dev/PROJECT/REPO`. */
export function artifactRepositoryOf(reference: ImageReference): string | undefined {
  if (!reference.host.endsWith('-docker.pkg.dev')) return undefined;
  const parts = reference.repository.split('/');
  if (parts.length < 4) return undefined;
  return parts.slice(0, 3).join('/');
}

export type PushResult =
  { ok: true; digest: string } | { ok: false; reason: 'PUSH_FAILED' | 'PUSH_NOT_AUTHORIZED'; detail: string };

export interface StoredImage {
  readonly repository: string;
  readonly tags: readonly string[];
  readonly digest: string;
}

export class ArtifactRegistry {
  private readonly repositories = new Set<string>();
  /** `repository:tag` → digest, and `repository@digest` → digest. */
  private readonly references = new Map<string, string>();
  private readonly images = new Map<string, { repository: string; digest: string; tags: Set<string> }>();

  /** Creates a repository (`LOCATION-docker.pkg.dev/PROJECT/REPO`). */
  createRepository(repository: string): void {
    this.repositories.add(repository);
  }

  /** Stores an image as if it had been pushed long ago (its repository is created too). */
  seed(image: string, digest?: string): string {
    const reference = parseImageReference(image);
    if (!reference) throw new Error(`not an image reference: ${image}`);
    const repository = artifactRepositoryOf(reference);
    if (repository) this.repositories.add(repository);
    return this.store(reference, digest ?? reference.digest ?? randomDigest());
  }

  /** What `docker push` at the end of a build does. */
  push(image: string): PushResult {
    const reference = parseImageReference(image);
    if (!reference) return { ok: false, reason: 'PUSH_FAILED', detail: `invalid reference format: ${image}` };
    if (isContainerRegistryHost(reference.host)) {
      return {
        ok: false,
        reason: 'PUSH_NOT_AUTHORIZED',
        detail:
          `denied: pushing to Container Registry (${reference.host}) is no longer possible: ` +
          'Container Registry was shut down on 18 March 2025 and writing images to it is unavailable. ' +
          'Push to an Artifact Registry repository (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY) instead.',
      };
    }
    const repository = artifactRepositoryOf(reference);
    if (repository === undefined) {
      return { ok: false, reason: 'PUSH_FAILED', detail: `denied: ${reference.host} is not an Artifact Registry host` };
    }
    if (!this.repositories.has(repository)) {
      const name = repository.split('/')[2] ?? repository;
      return { ok: false, reason: 'PUSH_FAILED', detail: `name unknown: Repository "${name}" not found` };
    }
    return { ok: true, digest: this.store(reference, randomDigest()) };
  }

  /** The digest an image reference resolves to, or undefined when it is not in the registry. */
  resolve(image: string): string | undefined {
    const reference = parseImageReference(image);
    if (!reference) return undefined;
    if (reference.digest) {
      return this.references.get(`${reference.repository}@${reference.digest}`);
    }
    return this.references.get(`${reference.repository}:${reference.tag ?? 'latest'}`);
  }

  list(): StoredImage[] {
    return [...this.images.values()].map((image) => ({
      repository: image.repository,
      digest: image.digest,
      tags: [...image.tags],
    }));
  }

  private store(reference: ImageReference, digest: string): string {
    const tag = reference.digest && !reference.tag ? undefined : (reference.tag ?? 'latest');
    const key = `${reference.repository}@${digest}`;
    const stored = this.images.get(key) ?? { repository: reference.repository, digest, tags: new Set<string>() };
    this.images.set(key, stored);
    this.references.set(key, digest);
    if (tag !== undefined) {
      // A tag moves to the newest image pushed with it.
      for (const other of this.images.values()) if (other.repository === reference.repository) other.tags.delete(tag);
      stored.tags.add(tag);
      this.references.set(`${reference.repository}:${tag}`, digest);
    }
    return digest;
  }
}

function randomDigest(): string {
  return `sha256:${createHash('sha256').update(randomBytes(32)).digest('hex')}`;
}
