/**
 * Scripted faults and delays: what tests (and the sandbox console) switch on to make the
 * emulated platform misbehave the way the real one has.
 */
import type { ForcedBuildFailure } from './types.js';

export interface PendingBuildFailure {
  readonly status: ForcedBuildFailure;
  readonly message: string | undefined;
}

export interface PendingRevisionFailure {
  readonly kind: 'never-ready' | 'image-import';
  readonly message: string | undefined;
}

/** The switches. One-shot switches ("next …") are consumed by the first thing they apply to. */
export interface GcpFaults {
  /** The next build (CreateBuild or RunBuildTrigger) ends with this status. */
  failNextBuild(status: ForcedBuildFailure, message?: string): void;
  /**
   * The next build runs a config that pushes with a docker step and lists no `images:` (as a trigger's
   * cloudbuild.yaml may): it succeeds, and its results name no image and no digest.
   */
  nextBuildListsNoImages(): void;
  /** While on, WORKING builds stop advancing (and never time out); turning it off releases them. */
  holdBuilds(hold: boolean): void;
  /** The next revision created fails to become Ready with this condition message. */
  revisionNeverReady(message?: string): void;
  /** The next revision created fails while its image is imported. */
  imageImportFails(message?: string): void;
  /** Someone else changes the service first: the next UpdateService bumps its etag and answers ABORTED. */
  abortNextUpdate(): void;
  /** The next `times` calls of `rpc` (e.g. 'GetBuild') answer UNAVAILABLE. */
  unavailable(rpc: string, times?: number): void;
  /** Every call of `rpc` waits `ms` before it is answered; 0 removes the delay. */
  delay(rpc: string, ms: number): void;
  /**
   * An organization policy (Domain Restricted Sharing) refuses `allUsers`/`allAuthenticatedUsers`
   * in IAM policies: SetIamPolicy with them answers FAILED_PRECONDITION.
   */
  restrictPublicAccess(on: boolean): void;
  /** Clears every switch. */
  reset(): void;
}

export class Faults implements GcpFaults {
  private buildFailures: PendingBuildFailure[] = [];
  private buildsListingNoImages = 0;
  private revisionFailures: PendingRevisionFailure[] = [];
  private abortUpdates = 0;
  private readonly unavailableCounts = new Map<string, number>();
  private readonly delays = new Map<string, number>();
  private held = false;
  private heldWaiters: Array<() => void> = [];
  private publicAccessRestricted = false;

  failNextBuild(status: ForcedBuildFailure, message?: string): void {
    this.buildFailures.push({ status, message });
  }

  nextBuildListsNoImages(): void {
    this.buildsListingNoImages += 1;
  }

  holdBuilds(hold: boolean): void {
    this.held = hold;
    if (!hold) {
      const waiters = this.heldWaiters;
      this.heldWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  revisionNeverReady(message?: string): void {
    this.revisionFailures.push({ kind: 'never-ready', message });
  }

  imageImportFails(message?: string): void {
    this.revisionFailures.push({ kind: 'image-import', message });
  }

  abortNextUpdate(): void {
    this.abortUpdates += 1;
  }

  unavailable(rpc: string, times = 1): void {
    this.unavailableCounts.set(rpc, (this.unavailableCounts.get(rpc) ?? 0) + times);
  }

  delay(rpc: string, ms: number): void {
    if (ms <= 0) this.delays.delete(rpc);
    else this.delays.set(rpc, ms);
  }

  restrictPublicAccess(on: boolean): void {
    this.publicAccessRestricted = on;
  }

  reset(): void {
    this.buildFailures = [];
    this.buildsListingNoImages = 0;
    this.revisionFailures = [];
    this.abortUpdates = 0;
    this.unavailableCounts.clear();
    this.delays.clear();
    this.publicAccessRestricted = false;
    this.holdBuilds(false);
  }

  // --- read by the emulated APIs -------------------------------------------------------

  takeBuildFailure(): PendingBuildFailure | undefined {
    return this.buildFailures.shift();
  }

  takeBuildListingNoImages(): boolean {
    if (this.buildsListingNoImages === 0) return false;
    this.buildsListingNoImages -= 1;
    return true;
  }

  takeRevisionFailure(): PendingRevisionFailure | undefined {
    return this.revisionFailures.shift();
  }

  takeAbortUpdate(): boolean {
    if (this.abortUpdates === 0) return false;
    this.abortUpdates -= 1;
    return true;
  }

  takeUnavailable(rpc: string): boolean {
    const left = this.unavailableCounts.get(rpc) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.unavailableCounts.delete(rpc);
    else this.unavailableCounts.set(rpc, left - 1);
    return true;
  }

  delayFor(rpc: string): number {
    return this.delays.get(rpc) ?? 0;
  }

  get buildsHeld(): boolean {
    return this.held;
  }

  /** Resolves when builds are no longer held (at once if they are not). */
  whenBuildsReleased(): Promise<void> {
    if (!this.held) return Promise.resolve();
    return new Promise((resolve) => this.heldWaiters.push(resolve));
  }

  get isPublicAccessRestricted(): boolean {
    return this.publicAccessRestricted;
  }
}
