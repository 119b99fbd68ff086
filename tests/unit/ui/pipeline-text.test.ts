import type { CheckResult } from '../../../src/deploy/checks/check-result.js';
import type { TrafficTarget } from '../../../src/deploy/plan.js';
import { initialMetricsLines, rollbackSummary, stepReport } from '../../../src/ui/pipeline-text.js';

const serving = (revision: string, percent: number, tag: string | null = null): TrafficTarget => ({
  revision,
  latest: false,
  percent,
  tag,
});
const OLD = [serving('app-00272', 100)];
const NEW = [serving('app-00273', 100, 'build-42')];

const check = (overrides: Partial<CheckResult>): CheckResult => ({
  name: 'health',
  kind: 'http',
  severity: 'required',
  outcome: 'pass',
  measured: 'HTTP 200',
  bound: 'HTTP 200',
  detail: null,
  durationMs: 12,
  ...overrides,
});

describe('the pipeline thread replies', () => {
  it('says the tag, the build and the revision as the thread has always read', () => {
    expect(
      stepReport({
        type: 'tagged',
        current: 'deploy-20250101-000000',
        next: 'deploy-20250102-000000',
        file: 'build_tag.txt',
        branch: 'main',
        commitSha: '0123456789abcdef',
      }),
    ).toEqual({
      kind: 'ok',
      title: 'Build tag deploy-20250101-000000 → deploy-20250102-000000',
      lines: ['Committed build_tag.txt on main (0123456); the build is of that commit.'],
    });
    expect(
      stepReport({ type: 'tagged', current: '', next: '43', file: 't', branch: 'b', commitSha: 'abcdef0123' }).title,
    ).toBe('Build tag 43');
    expect(
      stepReport({
        type: 'build-started',
        buildId: 'b-1',
        image: 'img:42',
        timeoutMs: 1_200_000,
        logUrl: 'https://log',
      }),
    ).toEqual({
      kind: 'info',
      title: 'Build b-1 started',
      lines: ['Image img:42', 'Timeout 1200.00 s'],
      link: { url: 'https://log', text: 'Build log' },
    });
    expect(
      stepReport({ type: 'build-failed', buildId: 'b-1', status: 'FAILURE', reason: 'the build failed', logUrl: null }),
    ).toEqual({ kind: 'failure', title: 'Build b-1 FAILURE', lines: ['the build failed'] });
    expect(
      stepReport({
        type: 'build-succeeded',
        buildId: 'b-1',
        elapsedMs: 61_500,
        images: [
          { name: 'img:42', digest: 'sha256:0123456789abcdef0123' },
          { name: 'img:latest', digest: null },
        ],
        logUrl: null,
      }),
    ).toEqual({
      kind: 'ok',
      title: 'Build b-1 succeeded in 61.50 s',
      lines: ['img:42 @ sha256:0123456789ab', 'img:latest'],
    });
    const ready = {
      type: 'revision-ready',
      revision: 'app-00273',
      trafficTag: 'build-42',
      strategy: 'verify-then-promote',
      startedToReadyMs: 900,
      previousTraffic: OLD,
      candidateUrl: 'https://build-42---app.run.app',
    } as const;
    expect(stepReport(ready)).toEqual({
      kind: 'ok',
      title: 'Revision app-00273 is Ready (0 %, tag build-42)',
      lines: [
        'Started to Ready in 900 ms',
        'Serving before: app-00272 100 %',
        'Candidate URL: https://build-42---app.run.app',
      ],
    });
    expect(stepReport({ ...ready, strategy: 'direct' }).title).toBe('Revision app-00273 is Ready (100 %)');
    expect(stepReport({ type: 'public-access-restored' })).toEqual({
      kind: 'warning',
      title: 'Public access restored',
      lines: [
        'allUsers had no roles/run.invoker on the service although the runbook says allowUnauthenticated; Liftoff added it.',
      ],
    });
  });

  it('says a check by its outcome and severity', () => {
    expect(stepReport({ type: 'check', result: check({}) })).toEqual({
      kind: 'ok',
      title: 'health: HTTP 200',
      lines: ['expected HTTP 200'],
    });
    expect(
      stepReport({
        type: 'check',
        result: check({ outcome: 'no_data', severity: 'advisory', measured: 'no data', bound: '', detail: 'empty' }),
      }),
    ).toEqual({
      kind: 'warning',
      title: 'health: no data',
      lines: ['no data: this never counts as a pass', 'advisory: reported, does not block the promotion', 'empty'],
    });
    expect(stepReport({ type: 'check', result: check({ outcome: 'fail', measured: 'HTTP 503' }) }).kind).toBe(
      'failure',
    );
  });

  it('says the promotion and the rollback', () => {
    expect(
      stepReport({ type: 'promoted', revision: 'app-00273', before: OLD, after: NEW, serviceUrl: 'https://app' }),
    ).toEqual({
      kind: 'ok',
      title: 'Promoted: app-00273 serves 100 %',
      lines: ['Before: app-00272 100 %', 'After: app-00273 100 %', 'Service URL: https://app'],
    });
    expect(stepReport({ type: 'rolling-back', step: 'verify', reason: 'check health failed' })).toEqual({
      kind: 'failure',
      title: 'verify failed: rolling back',
      lines: ['check health failed'],
    });
    expect(stepReport({ type: 'rolled-back', trafficRestored: true, verified: true, summary: 's' })).toEqual({
      kind: 'warning',
      title: 'Rolled back',
      lines: ['s'],
    });
    expect(stepReport({ type: 'rolled-back', trafficRestored: true, verified: false, summary: 's' }).kind).toBe(
      'failure',
    );
    expect(stepReport({ type: 'rolled-back', trafficRestored: false, verified: false, summary: 's' })).toEqual({
      kind: 'failure',
      title: 'ROLLBACK FAILED: act now',
      lines: ['s'],
    });
  });
});

describe('the lines a run keeps for its deploy log', () => {
  it('sums up the rollback: the traffic, then the health of the service URL', () => {
    expect(rollbackSummary({ restored: OLD, trafficError: null, health: null })).toBe(
      'traffic restored: app-00272 100 %',
    );
    expect(
      rollbackSummary({
        restored: OLD,
        trafficError: null,
        health: { path: '/health', passed: true, answer: { status: 200 } },
      }),
    ).toBe('traffic restored: app-00272 100 %; /health answers 200 on the service URL');
    expect(
      rollbackSummary({
        restored: OLD,
        trafficError: null,
        health: { path: '/health', passed: false, answer: { error: 'timeout' } },
      }),
    ).toBe('traffic restored: app-00272 100 %; but /health on the service URL answered timeout');
    expect(rollbackSummary({ restored: OLD, trafficError: 'etag moved', health: null })).toBe(
      'putting the traffic back failed: etag moved',
    );
  });

  it("writes the 'Métriques Initiales' in French", () => {
    expect(
      initialMetricsLines({
        ok: true,
        verdicts: [{ label: 'Taux de succès', ok: true, value: 1, measured: '100 %', bound: '≥ 95 %' }],
      }),
    ).toEqual(['Taux de succès : 100 % (cible ≥ 95 %)']);
    expect(initialMetricsLines({ ok: false, reason: 'HTTP 404' })).toEqual(['pas de données : HTTP 404']);
  });
});
