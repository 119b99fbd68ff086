/** Reads `a.b.0.c` out of a parsed JSON value. */
export function readJsonPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current) ? (current as unknown[])[Number(key)] : (current as Record<string, unknown>)[key];
  }
  return current;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface JsonExpectation {
  readonly path: string;
  readonly equals?: unknown;
  readonly exists?: boolean | undefined;
  readonly oneOf?: readonly unknown[] | undefined;
}

/** The first expectation the body does not meet, described for people; undefined when all hold. */
export function unmetJsonExpectation(body: unknown, expectations: readonly JsonExpectation[]): string | undefined {
  for (const e of expectations) {
    const actual = readJsonPath(body, e.path);
    const shown = actual === undefined ? 'missing' : JSON.stringify(actual).slice(0, 80);
    if (e.exists !== undefined && (actual !== undefined && actual !== null) !== e.exists) {
      return `${e.path} ${e.exists ? 'is missing' : `should be absent but is ${shown}`}`;
    }
    if (e.equals !== undefined && !sameJson(actual, e.equals))
      return `${e.path} is ${shown}, expected ${JSON.stringify(e.equals)}`;
    if (e.oneOf !== undefined && !e.oneOf.some((candidate) => sameJson(actual, candidate))) {
      return `${e.path} is ${shown}, expected one of ${e.oneOf.map((c) => JSON.stringify(c)).join(', ')}`;
    }
  }
  return undefined;
}
