/**
 * Numerical primitives of the canary judge, exact where the judge relies on exactness (log-factorials, binomial and
 * hypergeometric tails summed term by term) and double-precision approximations elsewhere (normal CDF and quantile).
 * Pure functions of numbers: no I/O, no dependencies.
 */

const LOG_FACTORIAL_TABLE_SIZE = 1024;
const logFactorialTable: number[] = [0];
for (let k = 1; k < LOG_FACTORIAL_TABLE_SIZE; k += 1)
  logFactorialTable.push((logFactorialTable[k - 1] ?? 0) + Math.log(k));

/** ln(n!) for a non-negative integer n: summed exactly below 1024, Stirling's series (error < 1e-16 relative) above. */
export function logFactorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`logFactorial needs a non-negative integer, got ${n}`);
  const tabled = logFactorialTable[n];
  if (tabled !== undefined) return tabled;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260)));
}

/** ln C(n, k); -Infinity outside 0 ≤ k ≤ n. */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/**
 * Standard normal CDF Φ(x), Hart's double-precision rational approximation as given by West (2005), absolute error
 * below 1e-14 over the whole line, so the far tails used by the early looks (z ≈ 5–8) keep their relative accuracy.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const z = Math.abs(x);
  let tail: number;
  if (z > 37) {
    tail = 0;
  } else {
    const e = Math.exp((-z * z) / 2);
    if (z < 7.07106781186547) {
      let num = 3.52624965998911e-2 * z + 0.700383064443688;
      num = num * z + 6.37396220353165;
      num = num * z + 33.912866078383;
      num = num * z + 112.079291497871;
      num = num * z + 221.213596169931;
      num = num * z + 220.206867912376;
      let den = 8.83883476483184e-2 * z + 1.75566716318264;
      den = den * z + 16.064177579207;
      den = den * z + 86.7807322029461;
      den = den * z + 296.564248779674;
      den = den * z + 637.333633378831;
      den = den * z + 793.826512519948;
      den = den * z + 440.413735824752;
      tail = (e * num) / den;
    } else {
      let den = z + 0.65;
      den = z + 4 / den;
      den = z + 3 / den;
      den = z + 2 / den;
      den = z + 1 / den;
      tail = e / den / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

/** Upper tail 1 − Φ(x), computed without cancellation for large x. */
export function normalSf(x: number): number {
  return normalCdf(-x);
}

const ACKLAM_A = [
  -39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const ACKLAM_B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const ACKLAM_C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACKLAM_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

function poly(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (const c of coefficients) value = value * x + c;
  return value;
}

/** Standard normal quantile Φ⁻¹(p): Acklam's approximation (1e-9) polished by one Halley step on normalCdf. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(ACKLAM_C, q) / (poly(ACKLAM_D, q) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(ACKLAM_A, r) * q) / (poly(ACKLAM_B, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -poly(ACKLAM_C, q) / (poly(ACKLAM_D, q) * q + 1);
  }
  // One Halley step on the CDF error.
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Σ of a run of probability terms starting at `first`, each next one `ratio(k)` times the previous, until negligible. */
function sumTerms(first: number, count: number, ratio: (index: number) => number): number {
  let term = first;
  let sum = first;
  for (let i = 0; i < count && term > 0; i += 1) {
    term *= ratio(i);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed exactly from the nearer end (no normal approximation). */
export function binomialSf(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const logPmf = (j: number): number => logChoose(n, j) + j * Math.log(p) + (n - j) * Math.log1p(-p);
  const odds = p / (1 - p);
  if (k >= n * p) {
    // Upper tail from k upwards: terms decrease.
    return Math.min(
      1,
      sumTerms(Math.exp(logPmf(k)), n - k, (i) => ((n - k - i) / (k + i + 1)) * odds),
    );
  }
  // Lower tail P(X ≤ k − 1) from k − 1 downwards, then the complement.
  const below = sumTerms(Math.exp(logPmf(k - 1)), k - 1, (i) => (k - 1 - i) / (n - k + 2 + i) / odds);
  return Math.max(0, 1 - below);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const logPmf = (j: number): number => logChoose(n, j) + j * Math.log(p) + (n - j) * Math.log1p(-p);
  const odds = p / (1 - p);
  if (k <= n * p) {
    return Math.min(
      1,
      sumTerms(Math.exp(logPmf(k)), k, (i) => (k - i) / (n - k + 1 + i) / odds),
    );
  }
  return Math.max(0, 1 - binomialSf(k + 1, n, p));
}

/** A 2×2 table of errors: the canary's and the baseline's errors out of their requests. */
export interface ErrorTable {
  readonly canaryErrors: number;
  readonly canaryRequests: number;
  readonly baselineErrors: number;
  readonly baselineRequests: number;
}

/**
 * One-sided Fisher's exact test that the canary's error rate is greater than the baseline's: P(X ≥ canaryErrors)
 * where, given the total number of errors, X (the canary's share of them) is hypergeometric. Exact for any counts.
 */
export function fisherExactGreater(table: ErrorTable): number {
  const { canaryErrors: x, canaryRequests: nc, baselineErrors, baselineRequests: nb } = table;
  const total = x + baselineErrors;
  const lowest = Math.max(0, total - nb);
  const highest = Math.min(total, nc);
  if (x <= lowest) return 1;
  if (x > highest) return 0;
  const all = nc + nb;
  const logPmf = (k: number): number => logChoose(nc, k) + logChoose(nb, total - k) - logChoose(all, total);
  // pmf(k + 1) / pmf(k)
  const up = (k: number): number => ((nc - k) * (total - k)) / ((k + 1) * (nb - total + k + 1));
  const mean = (total * nc) / all;
  if (x >= mean) {
    return Math.min(
      1,
      sumTerms(Math.exp(logPmf(x)), highest - x, (i) => up(x + i)),
    );
  }
  const below = sumTerms(Math.exp(logPmf(x - 1)), x - 1 - lowest, (i) => 1 / up(x - 2 - i));
  return Math.max(0, 1 - below);
}

/**
 * Exact unconditional p-value for "the baseline served `baselineRequests` without an error and the canary had
 * `canaryErrors`": sup over a common error rate p of P(baseline has 0 errors) · P(canary has ≥ canaryErrors).
 *
 * Why it exists: Fisher's test conditions on the total errors, so 5 canary errors against a clean baseline give
 * p = 2⁻⁵ whatever the baseline served — the clean record is thrown away, and that is how a zero-error baseline
 * lets a regression through (kayenta#377). Here the clean record counts: a rate high enough to make 5 canary errors
 * likely makes a clean baseline unlikely. The rejection region {baseline clean, canary ≥ k} has exactly this
 * probability at its worst common rate, so the test is valid; it applies only when the baseline had no error.
 */
export function cleanBaselinePValue(canaryErrors: number, canaryRequests: number, baselineRequests: number): number {
  if (canaryErrors <= 0) return 1;
  if (canaryErrors > canaryRequests) return 0;
  const logValue = (logP: number): number => {
    const p = Math.exp(logP);
    const tail = binomialSf(canaryErrors, canaryRequests, p);
    return baselineRequests * Math.log1p(-p) + (tail > 0 ? Math.log(tail) : Number.NEGATIVE_INFINITY);
  };
  // The product of a log-concave decreasing and a log-concave increasing function of p is unimodal: golden section.
  let lo = Math.log(1e-12);
  let hi = Math.log(0.999);
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = logValue(a);
  let fb = logValue(b);
  for (let i = 0; i < 80 && hi - lo > 1e-7; i += 1) {
    if (fa < fb) {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = logValue(b);
    } else {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = logValue(a);
    }
  }
  return Math.min(1, Math.exp(Math.max(fa, fb)));
}

/** Wilson score interval for a proportion x / n at normal quantile z (x may be fractional, e.g. interpolated). */
export function wilsonInterval(x: number, n: number, z: number): readonly [number, number] {
  if (n <= 0) return [0, 1];
  const z2 = z * z;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (z * Math.sqrt((x * (n - x)) / n + z2 / 4)) / (n + z2);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Newcombe's hybrid score interval (method 10, 1998) for p₁ − p₂ from two Wilson intervals: good coverage at small
 * counts and at zero counts, where the Wald interval collapses to a point. `zLower`/`zUpper` set each side's level.
 */
export function newcombeDifference(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  zLower: number,
  zUpper: number,
): readonly [number, number] {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const [l1, u2] = [wilsonInterval(x1, n1, zLower)[0], wilsonInterval(x2, n2, zLower)[1]];
  const [u1, l2] = [wilsonInterval(x1, n1, zUpper)[1], wilsonInterval(x2, n2, zUpper)[0]];
  const d = p1 - p2;
  return [d - Math.hypot(p1 - l1, u2 - p2), d + Math.hypot(u1 - p1, p2 - l2)];
}

/**
 * The nominal one-sided level of one look, from a Wang–Tsiatis boundary in information time t (requests so far /
 * the horizon): reject when Z ≥ z₁₋ₐ / t^shape, i.e. at level 1 − Φ(z₁₋ₐ / t^shape). shape 0.5 is the
 * O'Brien–Fleming boundary, 0 is Pocock's.
 *
 * Why: the judge looks once per complete minute, so at 100 requests a minute it looks 20 times before 2,000
 * requests; testing each look at α would raise the false-alarm rate several-fold (repeated significance testing).
 * This boundary spends little early (O'Brien–Fleming at t = 1/4: level ≈ 1e-6 for α = 1 %) and most of α at
 * the horizon, so early looks stop only on overwhelming evidence and the last looks keep most of the power of a
 * single test. It needs no look schedule, which the judge does not know (it depends on the request rate): for
 * O'Brien–Fleming the total level with continuous monitoring is at most 2α (reflection principle) and at
 * once-a-minute looks it is close to α; the bench measures it for the shape in use. Past the horizon the level
 * stays at its final value.
 */
export function lookLevel(alpha: number, informationFraction: number, shape = 0.5): number {
  const t = Math.min(1, Math.max(informationFraction, 1e-9));
  return normalSf(normalQuantile(1 - alpha) / t ** shape);
}
