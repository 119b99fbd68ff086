import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { CheckResult } from '../../../src/deploy/checks/check-result.js';
import type { PipelineData } from '../../../src/deploy/pipeline/run-data.js';
import type { Run, TransitionRecord } from '../../../src/deploy/run.js';
import { findRunbook, loadRunbooks } from '../../../src/deploy/runbook/loader.js';
import type { Runbook } from '../../../src/deploy/runbook/schema/index.js';
import { recordFilesFromRun, renderDeployLog, type DeployLogFacts } from '../../../src/ui/deploy-log.js';
import { FAKE, HOSTILE_LINES, INJECTION, SECRETS } from './hostile.js';

const runbooksDir = fileURLToPath(new URL('../../../runbooks/', import.meta.url));
const TEMPLATE = readFileSync(`${runbooksDir}phase3.log.md`, 'utf8');
const AT = new Date('2025-10-08T18:37:07Z');

const check = (measured: string, detail: string | null = null): CheckResult => ({
  name: 'logs',
  kind: 'logs',
  severity: 'required',
  outcome: 'fail',
  measured,
  bound: 'nothing above WARNING',
  detail,
  durationMs: 12,
});

function facts(overrides: Partial<DeployLogFacts> = {}): DeployLogFacts {
  return {
    date: AT,
    runbook: 'phase3',
    runId: 'run-1',
    requesterId: 'U0DEV',
    approverId: 'U0LEAD',
    outcome: 'rolled_back',
    tag: 'deploy-20251008-183707',
    revision: 'emergence-app-00013-deploy-20251008-183707',
    image: 'europe-west1-docker.pkg.dev/emergence-prod/app/emergence-app:deploy-20251008-183707',
    changes: ['Phase 3 metrics'],
    checks: HOSTILE_LINES.map((line) => check(`a log above WARNING: ERROR "${line}"`, line)),
    metrics: [`success rate : 100 % (scraped with Bearer ${FAKE.bearer})`],
    trafficBefore: [{ revision: 'emergence-app-00012', latest: false, percent: 100, tag: null }],
    trafficAfter: [{ revision: 'emergence-app-00012', latest: false, percent: 100, tag: null }],
    issues: [`verifying : ${INJECTION}`, ...HOSTILE_LINES.map((line) => `verifying : ${line}`)],
    project: 'emergence-prod',
    region: 'europe-west1',
    service: 'emergence-app',
    previousRevision: 'emergence-app-00012',
    threadUrl: 'https://example.slack.com/archives/C0DEPLOYS/p1759948627000100',
    timeline: ['18:37:07  deploying — ' + INJECTION, `18:38:00  verifying — ${FAKE.slack}`],
    durationMs: 93_000,
    secrets: [FAKE.envValue],
    ...overrides,
  };
}

/** The lines of the markdown outside fenced code blocks that start a block of their own kind. */
function headings(markdown: string): string[] {
  return markdown.split('\n').filter((line) => /^ {0,3}#{1,6}\s/.test(line));
}

describe('renderDeployLog with hostile outside text', () => {
  const log = renderDeployLog(TEMPLATE, facts());

  it('writes none of the secrets that reached log lines, failures and the journal', () => {
    for (const secret of SECRETS) expect(log).not.toContain(secret);
    expect(log).toContain('[redacted\\]');
  });

  it('keeps an injected rollback section and code fence inert: one heading each, one fence pair', () => {
    expect(headings(log).filter((line) => line.includes('Rollback'))).toEqual(['## Rollback']);
    expect(log.split('\n').filter((line) => /^ {0,3}(`{3,}|~{3,})/.test(line))).toEqual(['```bash', '```']);
    expect(log.split('\n').filter((line) => line.startsWith('gcloud run services update-traffic'))).toEqual([
      'gcloud run services update-traffic emergence-app \\',
    ]);
    expect(log).toContain('--to-revisions emergence-app-00012=100');
    expect(log).not.toMatch(/^\s*--to-revisions evil/m);
    // Each outside value stays within its own list item.
    expect(log).toMatch(/^- verifying : boom ## Rollback \\`\\`\\`bash gcloud run services/m);
    expect(log).not.toMatch(/(?<!\\)<img/);
    expect(log).not.toMatch(/(?<!\\)\[click\]/);
  });

  it('refuses a rollback command whose names could leave the code fence', () => {
    const hostile = renderDeployLog(TEMPLATE, facts({ previousRevision: 'x\n```\n## Pwned' }));
    expect(hostile).not.toContain('## Pwned');
    expect(hostile).toContain('# nom de service ou de révision illisible');
  });

  it('keeps ordinary lines readable', () => {
    const plain = renderDeployLog(
      TEMPLATE,
      facts({
        checks: [
          {
            ...check('HTTP 200 · p95 12 ms over 5'),
            name: 'cache-hit',
            outcome: 'pass',
            bound: 'HTTP 200 · p95 < 100 ms',
          },
        ],
        issues: [],
        timeline: ['18:37:07  demandé par U0DEV'],
      }),
    );
    expect(plain).toContain('- ✅ cache-hit : HTTP 200 · p95 12 ms over 5 (attendu : HTTP 200 · p95 < 100 ms)');
    expect(plain).toContain('- 18:37:07  demandé par U0DEV');
    expect(plain).toContain('**Revision** : emergence-app-00013-deploy-20251008-183707');
  });
});

describe('recordFilesFromRun', () => {
  it("redacts the runbook's plaintext env values from the committed log", async () => {
    const found = findRunbook(
      await loadRunbooks({
        dir: runbooksDir,
        env: { GCP_PROJECT: 'emergence-prod', GITHUB_REPO: 'org/emergence', EMERGENCE_TEST_SESSION: 'sess-test-1' },
      }),
      'phase3',
    );
    if (found.kind !== 'found') throw new Error('phase3 did not load');
    const runbook: Runbook = {
      ...found.runbook,
      deploy: { ...found.runbook.deploy, env: { ...found.runbook.deploy.env, PARTNER_API_KEY: FAKE.envValue } },
    };
    const data: PipelineData = {
      tag: { file: 'build_tag.txt', current: 'a', next: 'deploy-20251008-183707', commitSha: 'abc', image: 'img:tag' },
      deploy: {
        revision: 'emergence-app-00013',
        trafficTag: 'deploy',
        startedAt: AT.toISOString(),
        previousTraffic: [],
        previousRevision: 'emergence-app-00012',
      },
      checks: [check(`a log above WARNING: ERROR "partner key ${FAKE.envValue} refused"`)],
      failure: { step: 'verifying', message: `check logs failed: partner key ${FAKE.envValue} refused` },
    };
    const run: Run = {
      id: 'run-1',
      runbook: 'phase3',
      serviceKey: 'k',
      state: 'recording',
      requesterId: 'U0DEV',
      channelId: 'C0DEPLOYS',
      messageTs: null,
      createdAt: AT,
      updatedAt: AT,
      expiresAt: AT,
      decidedBy: 'U0LEAD',
      decidedAt: AT,
      plan: {},
      data,
    };
    const journal: TransitionRecord[] = [
      { runId: 'run-1', from: 'deploying', to: 'verifying', at: AT, actorId: null, detail: `key=${FAKE.envValue}` },
    ];
    const record = recordFilesFromRun({
      run,
      journal,
      runbook,
      template: TEMPLATE,
      data,
      outcome: 'rolled_back',
      trafficAfter: [],
      threadUrl: null,
      now: AT,
    });
    const log = record?.files.find((file) => file.kind === 'deploy-log');
    expect(log?.kind === 'deploy-log' ? log.content : '').toContain('partner key \\[redacted\\] refused');
    expect(JSON.stringify(record)).not.toContain(FAKE.envValue);
  });
});
