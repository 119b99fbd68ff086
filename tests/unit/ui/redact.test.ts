import { looksRandom, REDACTED, redact, secretEnvValues, shannonEntropy } from '../../../src/ui/redact.js';
import { FAKE, HOSTILE_LINES, SECRETS } from './hostile.js';

describe('redact', () => {
  it.each(HOSTILE_LINES)('hides every secret of %j', (line) => {
    const out = redact(line, { secrets: [FAKE.envValue] });
    for (const secret of SECRETS) expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('keeps the name of the authorization scheme and of the key', () => {
    expect(redact(`Authorization: Bearer ${FAKE.bearer}`)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redact('password=hunter2hunter2 user=bob')).toBe(`password=${REDACTED} user=bob`);
    expect(redact('{"api_key": "0123456789abcdef0123"}')).toBe(`{"api_key": "${REDACTED}"}`);
    expect(redact('postgres://liftoff:s3cr3t-pw@db:5432/liftoff')).toBe(
      `postgres://liftoff:${REDACTED}@db:5432/liftoff`,
    );
  });

  it('hides listed values, the longest first, and ignores values too short to be secrets', () => {
    expect(redact('a abcdef1234 b abcdef', { secrets: ['abcdef', 'abcdef1234', 'on'] })).toBe(
      `a ${REDACTED} b ${REDACTED}`,
    );
    expect(redact('turn it on', { secrets: ['on'] })).toBe('turn it on');
  });

  it.each([
    // Ordinary log lines of the service and of Liftoff.
    '2025-10-08 18:37:07,123 - backend.features.memory.analyzer - INFO - [MemoryAnalyzer] Analyse réussie avec neo_analysis pour session sess-test-1',
    '[MemoryAnalyzer] Cache SAVED pour session sess-1 (key=memory_analysis:sess-1:5f2a9c1e)',
    'INFO:     169.254.1.1:0 - "POST /api/memory/analyze HTTP/1.1" 200 OK',
    'check health failed: measured HTTP 503 (expected HTTP 200)',
    'tokens used: 1234, prompt_tokens=900',
    // Identifiers a reader must find: git SHAs, image digests, UUIDs, trace ids, resource names, revisions.
    'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 tagged',
    'image europe-west1-docker.pkg.dev/emergence-prod/app/emergence-app@sha256:3b0c4f1d9e2a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c',
    'request 123e4567-e89b-12d3-a456-426614174000 trace 4bf92f3577b34da6a3ce929d0e0e4736',
    'projects/emergence-prod/locations/europe-west1/services/emergence-app/revisions/emergence-app-00012-deploy-20251008-183707',
    'getUploadURLExternalResponseV2Handler MemoryAnalyzerV34InitialiseReadyTrue1 ConceptRecallMetricsEnabledTrueValue2',
  ])('leaves %j readable', (line) => {
    expect(redact(line)).toBe(line);
  });
});

describe('the high-entropy rule', () => {
  it('measures Shannon entropy in bits a character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });

  it('flags random mixed-class tokens of 32 characters or more, and nothing shorter or hex', () => {
    expect(looksRandom(FAKE.random)).toBe(true);
    expect(looksRandom(FAKE.random.slice(0, 31))).toBe(false);
    expect(looksRandom('9fceb02d0ae598e95dc970b74767f19372d61af8')).toBe(false);
    expect(looksRandom('A'.repeat(30) + '1a')).toBe(false);
  });

  it('catches nearly every random base62 token of 32 characters', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    // mulberry32: a small seeded generator, so the measure is the same on every run.
    let seed = 42;
    const next = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    };
    const tokens = Array.from({ length: 1000 }, () =>
      Array.from({ length: 32 }, () => alphabet[next() % alphabet.length]).join(''),
    );
    expect(tokens.filter(looksRandom).length).toBeGreaterThan(970);
  });
});

describe('secretEnvValues', () => {
  it('keeps credential-named values and values that are not plain words', () => {
    expect(
      secretEnvValues({
        EMERGENCE_ENV: 'production',
        REGION: 'europe-west1',
        WORKERS: '8',
        ENABLED: 'true',
        PARTNER_API_KEY: 'plainword',
        PARTNER_ENDPOINT_ID: FAKE.envValue,
        SHORT_TOKEN: 'abc',
      }),
    ).toEqual(['plainword', FAKE.envValue]);
  });
});
