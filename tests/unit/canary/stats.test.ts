import {
  binomialCdf,
  binomialSf,
  cleanBaselinePValue,
  fisherExactGreater,
  logChoose,
  logFactorial,
  lookLevel,
  newcombeDifference,
  normalCdf,
  normalQuantile,
  normalSf,
  wilsonInterval,
} from '../../../src/deploy/canary/stats.js';

describe('logFactorial', () => {
  it('sums exactly below the table size and agrees with Stirling above it', () => {
    expect(logFactorial(0)).toBe(0);
    expect(logFactorial(5)).toBeCloseTo(Math.log(120), 14);
    // ln(1024!) = ln(1023!) + ln(1024): the Stirling branch continues the exact table.
    expect(logFactorial(1024) - logFactorial(1023)).toBeCloseTo(Math.log(1024), 9);
  });

  it('refuses what is not a non-negative integer', () => {
    expect(() => logFactorial(-1)).toThrow(RangeError);
    expect(() => logFactorial(1.5)).toThrow(RangeError);
  });

  it('gives binomial coefficients', () => {
    expect(Math.exp(logChoose(8, 4))).toBeCloseTo(70, 9);
    expect(logChoose(3, 4)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('normal distribution', () => {
  // Values from the standard normal table (e.g. Abramowitz & Stegun 26.2), to the digits the table prints.
  it.each([
    [0, 0.5],
    [0.5, 0.691462461],
    [1, 0.841344746],
    [1.645, 0.950015094],
    [1.96, 0.975002105],
    [2.576, 0.995002468],
    [3, 0.998650102],
    [-3, 0.001349898],
  ])('Φ(%d) = %d', (x, expected) => {
    expect(normalCdf(x)).toBeCloseTo(expected, 9);
  });

  it('keeps the relative precision of far tails', () => {
    // 1 − Φ(6) = 9.8658765e-10, 1 − Φ(8) = 6.2209606e-16 (table of upper tail areas)
    expect(normalSf(6) / 9.8658765e-10).toBeCloseTo(1, 6);
    expect(normalSf(8) / 6.2209606e-16).toBeCloseTo(1, 6);
  });

  it.each([
    [0.5, 0],
    [0.95, 1.644853627],
    [0.975, 1.959963985],
    [0.995, 2.575829304],
    [0.001, -3.090232306],
  ])('Φ⁻¹(%d) = %d', (p, expected) => {
    expect(normalQuantile(p)).toBeCloseTo(expected, 8);
  });

  it('inverts the CDF in the far tail', () => {
    expect(normalCdf(normalQuantile(1e-10)) / 1e-10).toBeCloseTo(1, 6);
  });
});

describe('binomial tails', () => {
  it('P(Bin(10, ½) ≥ 8) = (45 + 10 + 1) / 1024', () => {
    expect(binomialSf(8, 10, 0.5)).toBeCloseTo(56 / 1024, 14);
    expect(binomialCdf(7, 10, 0.5)).toBeCloseTo(1 - 56 / 1024, 14);
  });

  it('agrees with the direct sum of the pmf on a large n, from both ends', () => {
    let below = 0;
    for (let k = 0; k <= 4; k += 1)
      below += Math.exp(logChoose(2000, k) + k * Math.log(0.005) + (2000 - k) * Math.log(0.995));
    expect(binomialSf(5, 2000, 0.005)).toBeCloseTo(1 - below, 12);
    expect(binomialCdf(4, 2000, 0.005)).toBeCloseTo(below, 12);
    expect(binomialSf(5, 2000, 0.005) + binomialCdf(4, 2000, 0.005)).toBeCloseTo(1, 12);
  });

  it('handles the edges', () => {
    expect(binomialSf(0, 10, 0.3)).toBe(1);
    expect(binomialSf(11, 10, 0.3)).toBe(0);
    expect(binomialSf(1, 10, 0)).toBe(0);
    expect(binomialCdf(0, 10, 0)).toBe(1);
  });
});

describe('fisherExactGreater', () => {
  it("gives the tea-tasting table's one-sided p-value: [[3, 1], [1, 3]] → 17/70 = 0.2429", () => {
    const p = fisherExactGreater({ canaryErrors: 3, canaryRequests: 4, baselineErrors: 1, baselineRequests: 4 });
    expect(p).toBeCloseTo(17 / 70, 12);
    expect(p).toBeCloseTo(0.2429, 4);
  });

  it('sums the other way when the canary is below its expectation: 1 − P(X = 0) = 69/70', () => {
    expect(
      fisherExactGreater({ canaryErrors: 1, canaryRequests: 4, baselineErrors: 3, baselineRequests: 4 }),
    ).toBeCloseTo(69 / 70, 12);
  });

  it('7 canary errors against 0 in 2,000 each: C(2000, 7) / C(4000, 7)', () => {
    let expected = 1;
    for (let i = 0; i < 7; i += 1) expected *= (2000 - i) / (4000 - i);
    expect(
      fisherExactGreater({ canaryErrors: 7, canaryRequests: 2000, baselineErrors: 0, baselineRequests: 2000 }),
    ).toBeCloseTo(expected, 14);
  });

  it('is 1 without canary errors and never rejects equal rates', () => {
    expect(fisherExactGreater({ canaryErrors: 0, canaryRequests: 100, baselineErrors: 0, baselineRequests: 100 })).toBe(
      1,
    );
    expect(
      fisherExactGreater({ canaryErrors: 20, canaryRequests: 2000, baselineErrors: 20, baselineRequests: 2000 }),
    ).toBeGreaterThan(0.5);
  });
});

describe('cleanBaselinePValue', () => {
  it('is exactly ¼ for one canary error at equal n: max of u(1 − u) with u = (1 − p)ⁿ', () => {
    expect(cleanBaselinePValue(1, 500, 500)).toBeCloseTo(0.25, 9);
  });

  it('rejects 5 errors against a clean baseline at 2,000 each below 1 % where Fisher cannot', () => {
    // sup over p of (1 − p)^2000 · P(Bin(2000, p) ≥ 5), maximised on a fine grid with scipy: 0.0092404 at p ≈ 0.0014
    expect(cleanBaselinePValue(5, 2000, 2000)).toBeCloseTo(0.0092404, 6);
    expect(
      fisherExactGreater({ canaryErrors: 5, canaryRequests: 2000, baselineErrors: 0, baselineRequests: 2000 }),
    ).toBeGreaterThan(0.03);
  });

  it('grows stronger when the baseline served more clean requests', () => {
    expect(cleanBaselinePValue(3, 1000, 19000)).toBeLessThan(cleanBaselinePValue(3, 1000, 1000) / 10);
  });
});

describe('Wilson and Newcombe intervals', () => {
  const z = normalQuantile(0.975);

  it('matches Newcombe (1998), table II, method 10', () => {
    const [lo, hi] = newcombeDifference(56, 70, 48, 80, z, z);
    expect(lo).toBeCloseTo(0.0524, 4);
    expect(hi).toBeCloseTo(0.3339, 4);
    const [lo2, hi2] = newcombeDifference(9, 10, 3, 10, z, z);
    expect(lo2).toBeCloseTo(0.1705, 4);
    expect(hi2).toBeCloseTo(0.809, 4);
  });

  it('gives a zero count a real upper bound: z² / (n + z²)', () => {
    const [lo, hi] = wilsonInterval(0, 10, z);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo((z * z) / (10 + z * z), 12);
  });
});

describe('lookLevel', () => {
  it('is α at the horizon and after it', () => {
    expect(lookLevel(0.01, 1)).toBeCloseTo(0.01, 12);
    expect(lookLevel(0.01, 3)).toBeCloseTo(0.01, 12);
  });

  it("is O'Brien–Fleming's 1 − Φ(2·z₀.₉₉) at a quarter of the horizon with shape ½", () => {
    // z₀.₉₉ = 2.326348, 1 − Φ(4.652696) = 1.6381e-6
    expect(lookLevel(0.01, 0.25, 0.5) / 1.6381e-6).toBeCloseTo(1, 3);
  });

  it('is the same level at every look with shape 0 (Pocock)', () => {
    expect(lookLevel(0.01, 0.1, 0)).toBeCloseTo(0.01, 12);
  });
});
