/**
 * A CI system as a repository with GitHub Actions has one: every commit that lands on a branch gets a check run,
 * in progress for `durationMs`, then completed with `conclusion`. Without it, a commit Liftoff pushed (the build
 * tag) would carry no check at all, and a CI preflight must not read "nothing reported" as green.
 */
import type { Backend, CheckConclusion, CheckRunRecord } from './model.js';

export interface EmulatedCiOptions {
  /** The check run's name, as a workflow job would show it. Default `ci / test`. */
  readonly checkName?: string;
  /** How long the run stays in progress after the push, in wall-clock ms. Default 0: completed at once. */
  readonly durationMs?: number;
  /** Default `success`; settable later through `EmulatedCi.conclusion` (a sandbox switch). */
  readonly conclusion?: CheckConclusion;
}

export class EmulatedCi {
  conclusion: CheckConclusion;
  readonly #checkName: string;
  readonly #durationMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly backend: Pick<Backend, 'checkRuns' | 'nextId' | 'clock'>,
    options: EmulatedCiOptions,
  ) {
    this.conclusion = options.conclusion ?? 'success';
    this.#checkName = options.checkName ?? 'ci / test';
    this.#durationMs = options.durationMs ?? 0;
  }

  /** A branch moved to `sha` (tags and other refs run no workflow here). */
  onRefMoved(fullName: string, sha: string): void {
    if (!fullName.startsWith('refs/heads/')) return;
    if (this.#durationMs <= 0) {
      this.#record(sha, this.conclusion);
      return;
    }
    this.#record(sha, null);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#record(sha, this.conclusion);
    }, this.#durationMs);
    timer.unref();
    this.#timers.add(timer);
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #record(sha: string, conclusion: CheckConclusion | null): void {
    const run: CheckRunRecord = {
      id: this.backend.nextId(),
      sha,
      name: this.#checkName,
      conclusion,
      startedAt: this.backend.clock.now(),
    };
    this.backend.checkRuns.set(sha, [...(this.backend.checkRuns.get(sha) ?? []), run]);
  }
}
