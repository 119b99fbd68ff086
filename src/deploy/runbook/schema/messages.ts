/** The error messages of the runbook schema: zod's own issues reworded, and 'did you mean' on unknown keys. */
import type { z } from 'zod';

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value === 'object' ? 'mapping' : typeof value}`;
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true/false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** Levenshtein distance, for 'did you mean' on unknown keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const close = best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3));
  return close ? `did you mean "${best}"?` : `expected one of: ${known.join(', ')}`;
}

export function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  if (keys.length === 1) return `unknown key (${suggestion(keys[0] ?? '', known)})`;
  return `unknown keys ${keys.map((key) => `"${key}" (${suggestion(key, known)})`).join(', ')}`;
}

/** The messages for zod's own issues, in the form `must be at most 3600 (got 120000)`. */
export const issueMessages: z.core.$ZodErrorMap = (issue) => {
  const got = ` (got ${describe(issue.input)})`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${EXPECTED_NAMES[issue.expected] ?? issue.expected}${got}`;
    case 'too_big': {
      const limit = String(issue.maximum);
      if (issue.origin === 'array') return `must have at most ${limit} items`;
      if (issue.origin === 'string') return `must be at most ${limit} characters${got}`;
      return issue.inclusive === false ? `must be less than ${limit}${got}` : `must be at most ${limit}${got}`;
    }
    case 'too_small': {
      const limit = String(issue.minimum);
      if (issue.origin === 'array')
        return issue.minimum === 1 ? 'must not be empty' : `must have at least ${limit} items`;
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'must not be empty' : `must be at least ${limit} characters`;
      return issue.inclusive === false ? `must be greater than ${limit}${got}` : `must be at least ${limit}${got}`;
    }
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((value) => JSON.stringify(value)).join(', ')}${got}`;
    case 'invalid_union': {
      if (issue.discriminator === undefined) {
        // A plain union whose options all refused the type: name what each would have taken.
        const expected = issue.errors.flatMap((option) =>
          option.flatMap((inner) => (inner.code === 'invalid_type' && inner.path.length === 0 ? [inner.expected] : [])),
        );
        if (expected.length !== issue.errors.length) return undefined;
        const names = [...new Set(expected)].map((name) => EXPECTED_NAMES[name] ?? name);
        const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}` : names.join('');
        return `must be ${list}${got}`;
      }
      const options: unknown[] = Array.isArray(issue['options']) ? issue['options'] : [];
      const input = issue.input;
      const value: unknown =
        input !== null && typeof input === 'object' ? Reflect.get(input, issue.discriminator) : undefined;
      const list = options.map((option) => JSON.stringify(option)).join(', ');
      return value === undefined ? `is required: one of ${list}` : `must be one of ${list} (got ${describe(value)})`;
    }
    case 'invalid_format':
      return `has the wrong format${got}`;
    default:
      return undefined;
  }
};
