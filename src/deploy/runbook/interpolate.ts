/**
 * Fills `${VAR}` and `${VAR:-default}` from an environment in every string of an already-parsed YAML value.
 *
 * Substitution happens after parsing, on string scalars only, so a variable's value is always text inside one
 * scalar: it can never add keys, items or YAML syntax. Mapping keys are never substituted.
 *
 * - `${VAR}`: the variable's value; an unset variable is an error (an empty one gives the empty string).
 * - `${VAR:-default}`: the value, or `default` when the variable is unset or empty (as in a shell).
 * - `$${`: a literal `${`, e.g. `$${HOME}` stays `${HOME}`.
 * Every problem is collected, each naming the variable and the key path where it appeared.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export type KeyPath = readonly (string | number)[];

export interface InterpolationError {
  /** Where it appeared, formatted like `service.project` or `verify.checks[1].expect.json[0].equals`. */
  readonly path: string;
  /** The variable's name; absent when the placeholder itself is malformed. */
  readonly variable?: string;
  readonly message: string;
}

export interface InterpolationResult {
  /**
   * The value with every placeholder filled. When there are errors, each unresolved placeholder is replaced by
   * the empty string, so the caller may still validate the rest of the document and report everything at once.
   */
  readonly value: unknown;
  readonly errors: readonly InterpolationError[];
  /** The variables referenced, sorted, each once (with or without a default). */
  readonly variables: readonly string[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Formats a key path: names joined by dots, list indexes in brackets, odd keys quoted (`env["A-B"]`). */
export function formatKeyPath(path: KeyPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text === '' ? '(root)' : text;
}

interface Walk {
  readonly env: Env;
  readonly errors: InterpolationError[];
  readonly variables: Set<string>;
}

function fillString(text: string, path: KeyPath, walk: Walk): string {
  if (!text.includes('$')) return text;
  let out = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar === -1) {
      out += text.slice(index);
      break;
    }
    out += text.slice(index, dollar);
    if (text.startsWith('$${', dollar)) {
      out += '${';
      index = dollar + 3;
      continue;
    }
    if (!text.startsWith('${', dollar)) {
      out += '$';
      index = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close === -1) {
      walk.errors.push({
        path: formatKeyPath(path),
        message: `unterminated placeholder "${text.slice(dollar)}": close it with }, or write $\${ for a literal \${`,
      });
      break;
    }
    const body = text.slice(dollar + 2, close);
    index = close + 1;
    const separator = body.indexOf(':-');
    const name = separator === -1 ? body : body.slice(0, separator);
    const fallback = separator === -1 ? undefined : body.slice(separator + 2);
    if (!IDENTIFIER.test(name)) {
      walk.errors.push({
        path: formatKeyPath(path),
        message: `"\${${body}}" is not a valid placeholder: write \${NAME} or \${NAME:-default} (letters, digits, _)`,
      });
      continue;
    }
    walk.variables.add(name);
    const value = walk.env[name];
    if (fallback !== undefined) {
      out += value === undefined || value === '' ? fallback : value;
    } else if (value === undefined) {
      walk.errors.push({
        path: formatKeyPath(path),
        variable: name,
        message: `environment variable ${name} is not set`,
      });
    } else {
      out += value;
    }
  }
  return out;
}

function fill(value: unknown, path: KeyPath, walk: Walk): unknown {
  if (typeof value === 'string') return fillString(value, path, walk);
  if (Array.isArray(value)) return value.map((item: unknown, index) => fill(item, [...path, index], walk));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, so a YAML key named __proto__ stays data instead of replacing the prototype.
      Object.defineProperty(out, key, {
        value: fill(item, [...path, key], walk),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/**
 * Fills placeholders in every string of `value` (objects and lists are walked; keys, numbers, booleans and null are
 * kept). Pure: the environment is a parameter and the input is not modified.
 */
export function interpolate(value: unknown, env: Env): InterpolationResult {
  const walk: Walk = { env, errors: [], variables: new Set() };
  const filled = fill(value, [], walk);
  return { value: filled, errors: walk.errors, variables: [...walk.variables].sort() };
}
