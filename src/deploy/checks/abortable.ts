/** The reason a signal fired with, as an Error (an `AbortError` when it fired with none). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'aborted');
  error.name = 'AbortError';
  return error;
}

/**
 * `work`, or a rejection with the signal's reason as soon as it fires. `work` itself is not stopped: use this
 * where the work cannot take a signal (an injected sleep), so that the caller goes no further.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    // The abandoned work may still reject later: nobody is waiting for it any more.
    work.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A sleep that ends early, rejecting, when the signal fires; the injected sleep gets the signal too. */
export function abortableSleep(
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return untilAborted(signal === undefined ? sleep(ms) : sleep(ms, signal), signal);
}

/**
 * Whether the signal has fired. A function, not `signal.aborted` inline: TypeScript would keep a check made before
 * an `await` narrowed after it, though the signal may fire meanwhile.
 */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
