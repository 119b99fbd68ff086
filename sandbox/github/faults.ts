/**
 * The failures a test can switch on in the GitHub emulator: a full outage, the next
 * few calls to a path failing with a status, and a concurrent push that moves a branch
 * just before the next update of it.
 */

export interface FailNextOptions {
  /** Only calls with this method (any, when absent). */
  readonly method?: string;
  /** The `message` of the error body (default: the status's reason phrase). */
  readonly message?: string;
  /** Adds `retry-after: <seconds>` (for 403 and 429, say). */
  readonly retryAfterSeconds?: number;
}

export interface GitHubFaults {
  /** true: every call answers 503, as during an outage, until `down(false)`. */
  down(on: boolean): void;
  /**
   * The next `times` calls whose decoded path (no query string) matches `path` answer
   * `status` with a GitHub-shaped error body, without touching the repository.
   */
  failNext(path: RegExp, status: number, times?: number, options?: FailNextOptions): void;
  /**
   * Before the next update of `branch` (PATCH of its ref, PUT of contents on it),
   * someone else pushes one commit on it: changing `files` (path → text), or none.
   */
  moveBranchBeforeNextUpdate(
    owner: string,
    name: string,
    branch: string,
    files?: Readonly<Record<string, string>>,
  ): void;
  /** Switches every fault off. */
  clear(): void;
}

export interface FailureRule {
  readonly path: RegExp;
  readonly status: number;
  remaining: number;
  readonly options: FailNextOptions;
}

export class FaultSwitches implements GitHubFaults {
  #down = false;
  #rules: FailureRule[] = [];

  constructor(
    private readonly scheduleMove: (
      owner: string,
      name: string,
      branch: string,
      files: Readonly<Record<string, string>>,
    ) => void,
    private readonly clearMoves: () => void,
  ) {}

  get isDown(): boolean {
    return this.#down;
  }

  down(on: boolean): void {
    this.#down = on;
  }

  failNext(path: RegExp, status: number, times = 1, options: FailNextOptions = {}): void {
    if (!Number.isInteger(status) || status < 400 || status > 599)
      throw new RangeError(`not an error status: ${status}`);
    this.#rules.push({ path, status, remaining: times, options });
  }

  moveBranchBeforeNextUpdate(
    owner: string,
    name: string,
    branch: string,
    files: Readonly<Record<string, string>> = {},
  ): void {
    this.scheduleMove(owner, name, branch, files);
  }

  clear(): void {
    this.#down = false;
    this.#rules = [];
    this.clearMoves();
  }

  /** The rule that fails this call, if any, counted as used. */
  takeFailure(method: string, path: string): FailureRule | null {
    for (const rule of this.#rules) {
      if (rule.remaining <= 0) continue;
      if (rule.options.method !== undefined && rule.options.method.toUpperCase() !== method) continue;
      rule.path.lastIndex = 0;
      if (!rule.path.test(path)) continue;
      rule.remaining -= 1;
      this.#rules = this.#rules.filter((candidate) => candidate.remaining > 0);
      return rule;
    }
    return null;
  }
}
