/**
 * The one redactor for text that came from outside (log lines, build and Cloud Run messages, check results, user
 * text) before Liftoff writes it anywhere: Slack, the committed deploy log, its own logs. A secret written to git
 * stays in the history forever, so this errs on the side of hiding. Pure: no state, no I/O.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

export interface RedactOptions {
  /** Exact values to hide wherever they appear (e.g. the plaintext env values a deploy sets). */
  readonly secrets?: readonly string[];
}

/** Shorter values are not hidden by exact match: "on", "1" or "prod" would blank ordinary words out of every line. */
const MIN_SECRET_LENGTH = 6;

/** Known credential shapes; each match is replaced whole, or only its capture group `secret` when it has one. */
const SHAPES: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  // An HTTP authorization scheme keeps its name, so a reader still sees what kind of credential went by.
  /\bBearer\s+(?<secret>[A-Za-z0-9._~+/=-]{8,})/gi,
  // Basic credentials are base64: a digit, `+`, `/` or `=` tells them from the word after "Basic".
  /\bBasic\s+(?<secret>(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2})/gi,
  // OpenAI and Anthropic keys (sk-…, sk-proj-…, sk-ant-…).
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  // Slack tokens: bot, user, app-level, refresh, configuration.
  /\bxox[abeoprs]-[A-Za-z0-9-]{8,}/g,
  /\bxapp-[A-Za-z0-9-]{8,}/g,
  // GitHub tokens: classic and fine-grained.
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  // Google API keys, AWS access key ids, JSON Web Tokens.
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // Credentials in a URL: scheme://user:password@host.
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:(?<secret>[^\s@/]+)@/gi,
  // key=value and "key": "value" where the key names a credential.
  /\b[\w-]*(?:api[_-]?key|secret|token|passw(?:or)?d|pwd|credentials?|private[_-]?key|access[_-]?key)["']?\s*[=:]\s*["']?(?<secret>(?!\[redacted\])[^\s"'&,;)}\]]{6,})/gi,
];

/**
 * Long high-entropy tokens: runs of base64/base62-ish characters of at least 32 characters that mix lower case,
 * upper case and digits, with a Shannon entropy of at least 4.0 bits a character and a character class changing
 * at 40 % of positions or more. Measured: a random 32-character base62 string passes about 99 % of the time;
 * CamelCase identifiers (`getUploadURLExternalResponseV2Handler`, 4.08 bits but 28 % transitions), resource paths
 * and revision names (no upper case) do not.
 *
 * Hex strings (git SHAs, `sha256:` image digests, trace ids) and UUIDs are public identifiers in a deploy log: they
 * name the commit, image and request that a reader must be able to find, so they are never redacted here. A hex
 * credential is still caught by its key name, by a known shape, or as a listed secret value.
 */
const TOKEN = /[A-Za-z0-9+/=_-]{32,}/g;
const MIN_ENTROPY_BITS = 4.0;
const MIN_CLASS_TRANSITIONS = 0.4;

/** Shannon entropy of `text`, in bits a character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function charClass(char: string): number {
  if (char >= 'a' && char <= 'z') return 0;
  if (char >= 'A' && char <= 'Z') return 1;
  if (char >= '0' && char <= '9') return 2;
  return 3;
}

/** Whether a token looks like a random credential rather than a word, an identifier, a hash or a path. */
export function looksRandom(token: string): boolean {
  if (token.length < 32 || /^[0-9a-fA-F-]+$/.test(token)) return false;
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || !/[0-9]/.test(token)) return false;
  let transitions = 0;
  for (let index = 1; index < token.length; index += 1) {
    if (charClass(token[index] ?? '') !== charClass(token[index - 1] ?? '')) transitions += 1;
  }
  return transitions / (token.length - 1) >= MIN_CLASS_TRANSITIONS && shannonEntropy(token) >= MIN_ENTROPY_BITS;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `text` with every secret replaced by {@link REDACTED}: the listed values first (longest first, so a value that
 * contains another goes whole), then the known credential shapes, then long high-entropy tokens.
 */
export function redact(text: string, options: RedactOptions = {}): string {
  let result = text;
  const secrets = [...new Set(options.secrets ?? [])]
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  if (secrets.length > 0) result = result.replace(new RegExp(secrets.map(escapeRegExp).join('|'), 'g'), REDACTED);
  for (const shape of SHAPES) {
    result = result.replace(shape, (...args: unknown[]) => {
      const whole = String(args[0]);
      const groups = args.at(-1);
      const secret = typeof groups === 'object' && groups !== null && 'secret' in groups ? groups.secret : undefined;
      if (typeof secret !== 'string') return REDACTED;
      if (secret.startsWith(REDACTED)) return whole;
      return `${whole.slice(0, whole.lastIndexOf(secret))}${REDACTED}${whole.slice(whole.lastIndexOf(secret) + secret.length)}`;
    });
  }
  return result.replace(TOKEN, (token) => (looksRandom(token) ? REDACTED : token));
}

/** Env variable names whose values are credentials whatever they look like. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|PWD|CREDENTIAL|PRIVATE|AUTH|DSN|CERT/i;

/**
 * The plaintext env values worth hiding by exact match: those under a credential-like name, and those that are not
 * plain words or numbers (`production`, `true`, `8080` and `europe-west1` would otherwise vanish from every line
 * that merely mentions them).
 */
export function secretEnvValues(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => {
      if (value.length < MIN_SECRET_LENGTH) return false;
      if (SECRET_NAME.test(name)) return true;
      return !/^(?:[A-Za-z]+(?:[-_.][A-Za-z0-9]+)*|[-+]?\d+(?:\.\d+)?)$/.test(value);
    })
    .map(([, value]) => value);
}
