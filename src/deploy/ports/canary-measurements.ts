/**
 * The port a canary step reads its evidence through: per revision, over a window of whole minutes, the requests
 * by response class and the latency distribution, from Cloud Monitoring's Cloud Run request metrics.
 *
 * Monitoring data is per minute and late (Cloud Run's request metrics become visible up to 180 s after their
 * minute), so the answer says which minutes were complete and which were missing, and why. A missing minute is
 * never zero: its requests are not in any count. The totals of a revision have the shape the canary judge takes
 * (`errors`, `nonErrors`, `completeMinutes`, `latency` as Cloud Monitoring buckets).
 */
import type { ExternalError, ServiceLocation } from './cloud.js';

/**
 * Latencies in Cloud Monitoring's bucket layout: `boundsMs` are the finite boundaries b₀ < … < bₘ₋₁ and `counts`
 * has exactly m + 1 entries: underflow (< b₀), [bᵢ₋₁, bᵢ), overflow (≥ bₘ₋₁). No requests: no bounds, `[0]`.
 */
export interface MeasuredLatency {
  readonly kind: 'buckets';
  readonly boundsMs: readonly number[];
  readonly counts: readonly number[];
}

/** Counts of one revision: every response, its 5xx (errors) and the rest, and by class ("2xx", "4xx"…). */
export interface RequestCounts {
  readonly requests: number;
  /** 5xx answers: the revision's failures, whoever wrote the answer (its container or the platform for it). */
  readonly errors: number;
  readonly nonErrors: number;
  readonly byClass: Readonly<Record<string, number>>;
}

/** One complete minute of one revision: both metrics reported. */
export interface MinuteMeasurement extends RequestCounts {
  /** The minute is [start, start + 60 s). */
  readonly start: Date;
  readonly latency: MeasuredLatency;
}

/**
 * Why a minute has no measurement for a revision:
 * - `pending`: no point yet, and the minute ended less than the reporting delay ago, so data may still arrive;
 * - `partial`: one of the two metrics has reported the minute and the other not yet;
 * - `no_data`: nothing, though the delay has passed: no request reached the revision then (Cloud Monitoring writes
 *   no zero), or the data was lost. Not zero either: the judge decides what an empty minute means.
 */
export type MissingReason = 'pending' | 'partial' | 'no_data';

export interface MissingMinute {
  readonly start: Date;
  readonly reason: MissingReason;
}

export interface RevisionMeasurementWindow extends RequestCounts {
  readonly revision: string;
  /** How many minutes of the window are complete for this revision (the totals cover those only). */
  readonly completeMinutes: number;
  /** `request_latencies` over the complete minutes. */
  readonly latency: MeasuredLatency;
  /** The complete minutes, oldest first. */
  readonly minutes: readonly MinuteMeasurement[];
  /** Every other minute of the window, oldest first. */
  readonly missing: readonly MissingMinute[];
}

export interface CanaryMeasurementsRequest {
  readonly service: ServiceLocation;
  /** Revision names (short names, e.g. `emergence-app-00275-new`). */
  readonly revisions: readonly string[];
  /** The window is every whole minute inside [start, end) that has ended: both ends are rounded inwards. */
  readonly start: Date;
  readonly end: Date;
  readonly signal?: AbortSignal;
}

export type CanaryMeasurementsResult =
  | {
      readonly ok: true;
      /** The whole minutes measured, [start, end); empty when the request spanned no ended whole minute. */
      readonly window: { readonly start: Date; readonly end: Date };
      /** One entry per requested revision, in the order asked. */
      readonly revisions: readonly RevisionMeasurementWindow[];
    }
  | {
      readonly ok: false;
      /** What Cloud Monitoring answered, as the pipeline's error codes: `rate_limited`, `unavailable`, `rejected`… */
      readonly code: ExternalError['code'];
      readonly message: string;
    };

export interface CanaryMeasurementsPort {
  /** Reads the window; a refusal or outage of Cloud Monitoring is a result, not a throw. */
  measure(request: CanaryMeasurementsRequest): Promise<CanaryMeasurementsResult>;
}
