/**
 * How the real service (Python 3.11, FastAPI, prometheus_client, the `logging` module) writes
 * numbers, JSON and log lines, so the sandbox's bytes look like the container's.
 */

/** Python's `repr(float)`: shortest round-trip digits, `1.0` not `1`, `1e-05` not `1e-5`. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, like repr.
  const match = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(value).toExponential());
  if (!match) return String(value);
  const digits = `${match[1] ?? ''}${match[2] ?? ''}`;
  const exponent = Number(match[3]);
  // CPython's repr switches to scientific notation when the exponent is below -4 or at least 16.
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const exponentText = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
    return `${sign}${mantissa}e${exponentText}`;
  }
  const pointAt = exponent + 1; // digits before the decimal point
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return `${sign}${digits}${'0'.repeat(pointAt - digits.length)}.0`;
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}

/**
 * prometheus_client's `floatToGoString`: `+Inf`, `-Inf`, `NaN`, and Python's repr, except that
 * positive numbers with more than six digits before the point switch to Go's exponent form
 * (`1760000000.5` → `1.7600000005e+09`).
 */
export function goFloatString(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  const text = pythonFloatRepr(value);
  const dot = text.indexOf('.');
  if (value > 0 && dot > 6) {
    const mantissa = `${text[0]}.${text.slice(1, dot)}${text.slice(dot + 1)}`.replace(/[0.]+$/, '');
    return `${mantissa}e+0${dot - 1}`;
  }
  return text;
}

/** Python's truthiness, as `bool(payload.get("force"))` applies it to JSON values. */
export function pythonTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Python's `str()` of a JSON value, as `str(candidate).strip()` sees a session id. */
export function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloatRepr(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** `json.dumps(value)` with Python's defaults: `", "` and `": "` separators, non-ASCII escaped. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloatRepr(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value).map(([key, item]) => `${pythonJsonDumps(key)}: ${pythonJsonDumps(item)}`);
    return `{${members.join(', ')}}`;
  }
  return 'null';
}

/** `logging.basicConfig(format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")`, in UTC. */
export function pythonLogLine(at: Date, logger: string, level: PythonLogLevel, message: string): string {
  const iso = at.toISOString(); // 2025-10-08T14:00:00.123Z
  const asctime = `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)}`;
  return `${asctime} - ${logger} - ${level} - ${message}`;
}

/** Uvicorn's default formatter: the level and a colon, padded to nine characters. */
export function uvicornLine(level: PythonLogLevel, message: string): string {
  return `${`${level}:`.padEnd(9)} ${message}`;
}

export type PythonLogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

/**
 * A protobuf Duration in its JSON form, as Cloud Run writes `httpRequest.latency`:
 * seconds with 0, 3, 6 or 9 fractional digits ("0.004s", "6.282113s").
 */
export function durationJson(milliseconds: number): string {
  const nanos = Math.max(0, Math.round(milliseconds * 1e6));
  const seconds = Math.floor(nanos / 1e9);
  const fraction = nanos % 1e9;
  if (fraction === 0) return `${seconds}s`;
  const nine = String(fraction).padStart(9, '0');
  const digits = nine.endsWith('000000') ? 3 : nine.endsWith('000') ? 6 : 9;
  return `${seconds}.${nine.slice(0, digits)}s`;
}
