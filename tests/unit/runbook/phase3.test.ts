import { fileURLToPath } from 'node:url';

import { findRunbook, formatRunbookErrors, loadRunbooks } from '../../../src/deploy/runbook/loader.js';
import type { CheckSpec, Runbook } from '../../../src/deploy/runbook/schema/index.js';

const runbooksDir = fileURLToPath(new URL('../../../runbooks/', import.meta.url));

const productionEnv = {
  GCP_PROJECT: 'emergence-469005',
  GITHUB_REPO: 'drkzs/emergencev8',
  EMERGENCE_TEST_SESSION: 'aa327d90-3547-4396-a409-f565182db61a',
  LIFTOFF_DEPLOYERS: 'U024BE7LH',
  LIFTOFF_APPROVERS: 'U0G9QF9C6,S0614TZR7',
};

async function loadPhase3(env: Readonly<Record<string, string | undefined>>) {
  return findRunbook(await loadRunbooks({ dir: runbooksDir, env }), 'phase3');
}

async function phase3(): Promise<{ runbook: Runbook; warnings: readonly string[]; template: string | undefined }> {
  const found = await loadPhase3(productionEnv);
  if (found.kind !== 'found') {
    throw new Error(found.kind === 'invalid' ? formatRunbookErrors(found.invalid).join('\n') : 'phase3 not found');
  }
  return { runbook: found.runbook, warnings: found.loaded.warnings, template: found.loaded.template };
}

function check<K extends CheckSpec['kind']>(runbook: Runbook, name: string, kind: K): Extract<CheckSpec, { kind: K }> {
  const found = runbook.verify.checks.find((candidate) => candidate.name === name);
  if (found?.kind !== kind) throw new Error(`no ${kind} check named ${name}`);
  return found as Extract<CheckSpec, { kind: K }>;
}

describe('runbooks/phase3.yml', () => {
  it('loads cleanly with a production environment', async () => {
    const { runbook, warnings } = await phase3();
    expect(warnings).toEqual([]);
    expect(runbook.name).toBe('phase3');
    expect(runbook.changes).toHaveLength(5);
    expect(runbook.service).toEqual({ project: 'emergence-469005', region: 'europe-west1', name: 'emergence-app' });
    expect(runbook.source).toEqual({
      repo: 'drkzs/emergencev8',
      branch: 'main',
      buildTag: { file: 'build_tag.txt', scheme: 'auto' },
    });
    expect(runbook.build).toEqual({
      source: { kind: 'gitUrl', url: 'https://github.com/drkzs/emergencev8.git' },
      image: 'europe-west1-docker.pkg.dev/emergence-469005/app/emergence-app:{tag}',
      timeout: 20 * 60_000,
    });
    expect(runbook.deploy).toEqual({
      strategy: 'verify-then-promote',
      memory: '2Gi',
      cpu: '2',
      timeoutSeconds: 300,
      minInstances: 0,
      maxInstances: 10,
      allowUnauthenticated: true,
      env: { EMERGENCE_ENV: 'production' },
    });
    expect(runbook.access).toEqual({
      deployers: ['U024BE7LH'],
      approvers: ['U0G9QF9C6', 'S0614TZR7'],
      selfApproval: false,
      rollbackNeedsApproval: false,
    });
    expect(runbook.approval.timeout).toBe(15 * 60_000);
    expect(runbook.targets).toEqual({ successRate: 0.95, p95Seconds: 2, cacheHitRate: [0.4, 0.5], cacheSizeMax: 100 });
    expect(runbook.deployLog).toEqual({ path: 'docs/deployments/{date}-deploy-{name}.md', template: 'phase3.log.md' });
  });

  it('automates step 4: prometheus.yml and the Grafana dashboard', async () => {
    const { runbook } = await phase3();
    expect(runbook.monitoring).toEqual({
      prometheus: { path: 'monitoring/prometheus.yml', jobName: 'emergence_production', scrapeInterval: 15_000 },
      grafana: { path: 'monitoring/grafana/emergence-app-dashboard.json' },
    });
  });

  it('has the preflight of the manual checklist', async () => {
    const { runbook } = await phase3();
    expect(runbook.preflight).toEqual([
      { name: 'ci-green', kind: 'ci', severity: 'required' },
      { name: 'dockerfile', kind: 'source', file: 'Dockerfile', severity: 'required' },
      {
        name: 'prometheus-client',
        kind: 'source',
        file: 'requirements.txt',
        contains: 'prometheus[-_.]client',
        severity: 'required',
      },
      { name: 'openai-key', kind: 'service', envNames: ['OPENAI_API_KEY'], severity: 'required' },
    ]);
    const pattern = new RegExp(runbook.preflight[2]?.kind === 'source' ? (runbook.preflight[2].contains ?? '') : '');
    expect(pattern.test('fastapi==0.110\nprometheus-client==0.20.0\n')).toBe(true);
    expect(pattern.test('prometheus_client>=0.19')).toBe(true);
    expect(pattern.test('fastapi==0.110\n')).toBe(false);
  });

  it('verifies what the manual runbook verifies, as the service really behaves', async () => {
    const { runbook } = await phase3();
    const session = productionEnv.EMERGENCE_TEST_SESSION;
    expect(runbook.verify.session).toBe(session);
    expect(runbook.verify.checks.map((c) => [c.name, c.kind, c.severity])).toEqual([
      ['startup', 'startup', 'required'],
      ['health', 'http', 'required'],
      ['analyze', 'http', 'required'],
      ['cache-hit', 'http', 'required'],
      ['analyze-latency', 'http', 'advisory'],
      ['metrics', 'metrics', 'required'],
      ['logs', 'logs', 'required'],
      ['logs-cache-saved', 'logs', 'advisory'],
    ]);

    expect(check(runbook, 'startup', 'startup').maxSeconds).toBe(60);
    expect(check(runbook, 'health', 'http')).toMatchObject({
      method: 'GET',
      path: '/api/health',
      expect: { status: [200], json: [{ path: 'status', equals: 'ok' }] },
    });

    const analyze = check(runbook, 'analyze', 'http');
    expect(analyze).toMatchObject({
      method: 'POST',
      path: '/api/memory/analyze',
      body: { session_id: session, force: true },
    });
    expect(analyze.expect.status).toEqual([200]);
    expect(analyze.expect.json).toEqual([
      { path: 'status', equals: 'completed' },
      { path: 'session_id', equals: session },
      { path: 'analysis.summary', exists: true },
      { path: 'analysis.concepts', exists: true },
      { path: 'analysis.entities', exists: true },
    ]);
    expect(analyze.expect.latency).toBeUndefined();
    expect(analyze.timeout).toBeGreaterThan(6_300);

    expect(check(runbook, 'analyze-latency', 'http').expect.latency).toEqual({ min: 1_000, max: 4_000 });

    const cacheHit = check(runbook, 'cache-hit', 'http');
    expect(cacheHit).toMatchObject({ body: { session_id: session }, samples: 5 });
    expect(cacheHit.expect.json).toEqual([
      { path: 'status', equals: 'skipped' },
      { path: 'reason', equals: 'already_analyzed' },
    ]);
    expect(cacheHit.expect.latency).toEqual({ p95: 100 });

    const metrics = check(runbook, 'metrics', 'metrics');
    expect(metrics.path).toBe('/api/metrics');
    expect(metrics.expect.families).toEqual([{ prefix: 'memory_analysis_', minCount: 5 }]);
    expect(metrics.expect.counterDeltas).toEqual([
      { series: 'memory_analysis_success_total{provider="neo_analysis"}', atLeast: 1, since: 'analyze' },
    ]);
    expect(metrics.expect.histograms).toEqual([
      { name: 'memory_analysis_duration_seconds', buckets: [0.5, 1, 2, 4, 6, 10, 15, 20, 30] },
    ]);
    expect(metrics.expect.values).toEqual([{ series: 'process_resident_memory_bytes', lessThan: 2 * 1024 ** 3 }]);

    expect(check(runbook, 'logs', 'logs')).toMatchObject({
      mustContain: [`[MemoryAnalyzer] Analyse réussie avec neo_analysis pour session ${session}`],
      noHttpStatusAtLeast: 500,
      maxSeverity: 'WARNING',
    });
    expect(check(runbook, 'logs-cache-saved', 'logs').mustContain).toEqual([
      '[MemoryAnalyzer] Cache SAVED pour session',
    ]);
  });

  it('ships a French deploy log template with every placeholder', async () => {
    const { template } = await phase3();
    for (const placeholder of [
      'date',
      'tag',
      'revision',
      'image',
      'changes',
      'checks',
      'metrics',
      'trafficBefore',
      'trafficAfter',
      'rollbackCommand',
      'issues',
    ]) {
      expect(template).toContain(`{{${placeholder}}}`);
    }
    expect(template).toContain('# 🚀 Déploiement Phase 3 Production');
    expect(template).toContain('## Tests Validation');
  });

  it('uses the defaults for an unset region and empty access lists', async () => {
    const found = await loadPhase3({
      ...productionEnv,
      GCP_REGION: '',
      LIFTOFF_DEPLOYERS: undefined,
      LIFTOFF_APPROVERS: undefined,
    });
    expect(found.kind).toBe('found');
    if (found.kind !== 'found') return;
    expect(found.runbook.service.region).toBe('europe-west1');
    expect(found.runbook.access.deployers).toEqual([]);
    expect(found.loaded.warnings).toEqual([expect.stringMatching(/^access\.approvers: empty/) as unknown]);
  });

  it('fails clearly, naming GCP_PROJECT, without its environment', async () => {
    const found = await loadPhase3({});
    expect(found.kind).toBe('invalid');
    if (found.kind !== 'invalid') return;
    const lines = formatRunbookErrors(found.invalid);
    expect(lines).toContain('phase3.yml: service.project: environment variable GCP_PROJECT is not set');
    expect(lines).toContain('phase3.yml: build.image: environment variable GCP_PROJECT is not set');
    expect(lines).toContain('phase3.yml: source.repo: environment variable GITHUB_REPO is not set');
    expect(lines).toContain('phase3.yml: verify.session: environment variable EMERGENCE_TEST_SESSION is not set');
    // Nothing but the missing variables: no schema error caused by them.
    expect(lines.every((line) => line.includes('is not set'))).toBe(true);
  });
});
