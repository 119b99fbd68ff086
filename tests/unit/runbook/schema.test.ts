import {
  type Runbook,
  type RunbookIssue,
  checkCpuMemory,
  parseCpu,
  parseMemory,
  validateRunbook,
} from '../../../src/deploy/runbook/schema/index.js';

type Input = Record<string, unknown>;

/** A small valid runbook, as YAML would parse it; each call returns a fresh copy that a test may change. */
function validInput(): Input {
  return {
    name: 'sample',
    description: 'A sample service',
    changes: ['first change'],
    service: { project: 'sample-project', region: 'europe-west1', name: 'sample-app' },
    source: { repo: 'acme/sample', buildTag: { file: 'build_tag.txt' } },
    build: {
      source: { gitUrl: 'https://github.com/acme/sample.git' },
      image: 'europe-west1-docker.pkg.dev/sample-project/app/sample-app:{tag}',
    },
    deploy: { memory: '512Mi', cpu: '1', timeoutSeconds: 300, maxInstances: 3, allowUnauthenticated: false },
    access: { deployers: ['U0123ABCD'], approvers: ['U0456EFGH'] },
    verify: {
      session: 'session-1',
      checks: [
        { name: 'health', kind: 'http', path: '/health', expect: { status: 200 } },
        {
          name: 'metrics',
          kind: 'metrics',
          after: ['health'],
          path: '/metrics',
          expect: { families: [{ name: 'up' }] },
        },
      ],
    },
  };
}

function isRecord(value: unknown): value is Input {
  return value !== null && typeof value === 'object';
}

/** Sets (or, with undefined, deletes) the value at a dot path like `deploy.memory` or `verify.checks.0.name`. */
function withValue(path: string, value: unknown, input: Input = validInput()): Input {
  const keys = path.split('.');
  const last = keys.pop() ?? '';
  let node: Input = input;
  for (const key of keys) {
    const next = node[key];
    if (!isRecord(next)) node[key] = {};
    const child = node[key];
    if (isRecord(child)) node = child;
  }
  if (value === undefined) delete node[last];
  else node[last] = value;
  return input;
}

/** Several changes at once. */
function withValues(changes: Readonly<Record<string, unknown>>): Input {
  const input = validInput();
  for (const [path, value] of Object.entries(changes)) withValue(path, value, input);
  return input;
}

function valid(input: unknown): { runbook: Runbook; warnings: readonly string[] } {
  const result = validateRunbook(input);
  if (!result.ok)
    throw new Error(
      `expected a valid runbook, got:\n${result.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`,
    );
  return result;
}

function errorsOf(input: unknown): readonly RunbookIssue[] {
  const result = validateRunbook(input);
  if (result.ok) throw new Error('expected the runbook to be invalid');
  return result.errors;
}

describe('validateRunbook: a valid runbook', () => {
  it('fills the defaults and converts durations to milliseconds', () => {
    const { runbook, warnings } = valid(validInput());
    expect(warnings).toEqual([]);
    expect(runbook.source.branch).toBe('main');
    expect(runbook.source.buildTag.scheme).toBe('auto');
    expect(runbook.build.timeout).toBe(20 * 60_000);
    expect(runbook.build.source).toEqual({ kind: 'gitUrl', url: 'https://github.com/acme/sample.git' });
    expect(runbook.deploy).toMatchObject({
      strategy: 'verify-then-promote',
      minInstances: 0,
      maxInstances: 3,
      env: {},
    });
    expect(runbook.access).toEqual({
      deployers: ['U0123ABCD'],
      approvers: ['U0456EFGH'],
      selfApproval: false,
      rollbackNeedsApproval: false,
    });
    expect(runbook.approval.timeout).toBe(15 * 60_000);
    expect(runbook.queue).toBe(false);
    expect(runbook.preflight).toEqual([]);
    expect(runbook.verify.checks[0]).toMatchObject({
      kind: 'http',
      method: 'GET',
      severity: 'required',
      timeout: 30_000,
      samples: 1,
      after: [],
      expect: { status: [200] },
    });
  });

  it.each<[string, Readonly<Record<string, unknown>>, (runbook: Runbook) => unknown, unknown]>([
    [
      'a comma-separated deployers string',
      { 'access.deployers': 'U0123ABCD, S0ABCDEF1 ,W0XYZ12' },
      (r) => r.access.deployers,
      ['U0123ABCD', 'S0ABCDEF1', 'W0XYZ12'],
    ],
    [
      'an empty deployers string (what ${LIFTOFF_DEPLOYERS:-} gives)',
      { 'access.deployers': '' },
      (r) => r.access.deployers,
      [],
    ],
    ['a missing access block', { access: undefined }, (r) => [r.access.deployers, r.access.approvers], [[], []]],
    ['comma-separated after', { 'verify.checks.1.after': 'health' }, (r) => r.verify.checks[1]?.after, ['health']],
    [
      'a single changes string, kept whole',
      { changes: 'cache, metrics and debates' },
      (r) => r.changes,
      ['cache, metrics and debates'],
    ],
    [
      'numbers given as text by placeholders',
      { 'deploy.timeoutSeconds': '300', 'deploy.maxInstances': '10' },
      (r) => [r.deploy.timeoutSeconds, r.deploy.maxInstances],
      [300, 10],
    ],
    [
      'booleans given as text',
      { 'deploy.allowUnauthenticated': 'true', queue: 'false' },
      (r) => [r.deploy.allowUnauthenticated, r.queue],
      [true, false],
    ],
    ['cpu as a YAML number', { 'deploy.cpu': 2, 'deploy.memory': '1Gi' }, (r) => r.deploy.cpu, '2'],
    ['cpu in millicores', { 'deploy.cpu': '2000m', 'deploy.memory': '8Gi' }, (r) => r.deploy.cpu, '2000m'],
    [
      'a fraction of a CPU with concurrency 1',
      { 'deploy.cpu': '0.5', 'deploy.memory': '1Gi', 'deploy.concurrency': 1 },
      (r) => r.deploy.cpu,
      '0.5',
    ],
    [
      'env values of every scalar type, as text',
      { 'deploy.env': { A: 'x', B: 2, C: true } },
      (r) => r.deploy.env,
      { A: 'x', B: '2', C: 'true' },
    ],
    [
      'a secret with a numeric version',
      { 'deploy.secrets': { OPENAI_API_KEY: { secret: 'openai', version: 3 } } },
      (r) => r.deploy.secrets,
      { OPENAI_API_KEY: { secret: 'openai', version: '3' } },
    ],
    [
      'a build trigger by name',
      { 'build.source': { trigger: { name: 'deploy', substitutions: { _ENV: 'prod' } } } },
      (r) => r.build.source,
      { kind: 'trigger', name: 'deploy', substitutions: { _ENV: 'prod' } },
    ],
    [
      'a connected repository',
      { 'build.source': { repository: { connection: 'github', name: 'acme-sample' } } },
      (r) => r.build.source,
      { kind: 'repository', connection: 'github', name: 'acme-sample' },
    ],
    ['a build timeout', { 'build.timeout': '1h30m' }, (r) => r.build.timeout, 5_400_000],
    [
      'a status list',
      { 'verify.checks.0.expect': { status: [200, 204] } },
      (r) => r.verify.checks[0]?.kind === 'http' && r.verify.checks[0].expect.status,
      [200, 204],
    ],
    [
      'histogram buckets as a comma string',
      { 'verify.checks.1.expect': { histograms: [{ name: 'd_seconds', buckets: '0.5, 1, 2' }] } },
      (r) => r.verify.checks[1]?.kind === 'metrics' && r.verify.checks[1].expect.histograms?.[0]?.buckets,
      [0.5, 1, 2],
    ],
  ])('accepts %s', (_label, changes, pick, expected) => {
    expect(pick(valid(withValues(changes)).runbook)).toEqual(expected);
  });

  it.each<[string, Input, number]>([
    ['http', { name: 'a', kind: 'http', path: '/', expect: { status: 200 } }, 30_000],
    ['logs: waitFor plus 30s', { name: 'a', kind: 'logs', waitFor: '20s', mustContain: 'x' }, 50_000],
    ['startup: maxSeconds', { name: 'a', kind: 'startup', maxSeconds: 60 }, 60_000],
    ['an explicit timeout', { name: 'a', kind: 'http', path: '/', timeout: '5s', expect: { status: 200 } }, 5_000],
  ])('gives a %s check its timeout', (_label, check, timeout) => {
    expect(valid(withValue('verify.checks', [check])).runbook.verify.checks[0]?.timeout).toBe(timeout);
  });
});

describe('validateRunbook: errors name the key path', () => {
  it.each<[string, Readonly<Record<string, unknown>>, string, RegExp]>([
    // Unknown keys, at every level.
    ['a typo in deploy', { 'deploy.memroy': '1Gi' }, 'deploy.memroy', /unknown key \(did you mean "memory"\?\)/],
    ['a typo at the top', { verfy: {} }, 'verfy', /did you mean "verify"/],
    [
      'a typo in a check',
      { 'verify.checks.0.expect.stauts': 200 },
      'verify.checks[0].expect.stauts',
      /did you mean "status"/,
    ],
    ['an unrelated key', { 'service.zzzzzzzz': 1 }, 'service.zzzzzzzz', /expected one of: project, region, name/],
    // Required keys.
    ['no description', { description: undefined }, 'description', /^is required$/],
    ['no deploy', { deploy: undefined }, 'deploy', /^is required$/],
    [
      'no allowUnauthenticated',
      { 'deploy.allowUnauthenticated': undefined },
      'deploy.allowUnauthenticated',
      /^is required$/,
    ],
    ['deploy as a list', { deploy: [] }, 'deploy', /must be a mapping \(got a list\)/],
    // Names.
    ['an uppercase runbook name', { name: 'Phase3' }, 'name', /lowercase word/],
    ['a subcommand as name', { name: 'list' }, 'name', /is a \/deploy subcommand/],
    ['an invalid service name', { 'service.name': 'Sample_App' }, 'service.name', /Cloud Run service name/],
    ['a 50-character service name', { 'service.name': `a${'b'.repeat(49)}` }, 'service.name', /at most 49/],
    ['a service name ending with -', { 'service.name': 'sample-' }, 'service.name', /not ending with -/],
    ['a region with a space', { 'service.region': 'europe west1' }, 'service.region', /region like europe-west1/],
    ['a project id too short', { 'service.project': 'abc' }, 'service.project', /project id/],
    ['a repo without owner', { 'source.repo': 'sample' }, 'source.repo', /owner\/name/],
    [
      'an unknown tag scheme',
      { 'source.buildTag.scheme': 'semver' },
      'source.buildTag.scheme',
      /must be one of "counter", "timestamp", "auto" \(got "semver"\)/,
    ],
    // Memory, CPU and their combinations (Cloud Run's table).
    ['memory in GB words', { 'deploy.memory': '2GB' }, 'deploy.memory', /like 512Mi or 2Gi \(got "2GB"\)/],
    ['memory as a bare number', { 'deploy.memory': 2048 }, 'deploy.memory', /like 512Mi or 2Gi \(got 2048\)/],
    ['too little memory', { 'deploy.memory': '64Mi' }, 'deploy.memory', /between 128Mi and 32Gi \(got 64Mi\)/],
    ['too much memory', { 'deploy.memory': '64Gi', 'deploy.cpu': '8' }, 'deploy.memory', /between 128Mi and 32Gi/],
    ['cpu 3', { 'deploy.cpu': '3' }, 'deploy.cpu', /must be "1", "2", "4", "6" or "8" CPUs/],
    ['cpu 16', { 'deploy.cpu': 16 }, 'deploy.cpu', /must be "1", "2", "4", "6" or "8" CPUs/],
    ['cpu as words', { 'deploy.cpu': 'two' }, 'deploy.cpu', /\(got "two"\)/],
    [
      '8Gi on 1 CPU',
      { 'deploy.memory': '8Gi', 'deploy.cpu': '1' },
      'deploy.memory',
      /8Gi needs at least 2 CPUs on Cloud Run \(cpu is 1 CPU\)/,
    ],
    ['16Gi on 2 CPUs', { 'deploy.memory': '16Gi', 'deploy.cpu': '2' }, 'deploy.memory', /16Gi needs at least 4 CPUs/],
    ['20Gi on 4 CPUs', { 'deploy.memory': '20Gi', 'deploy.cpu': '4' }, 'deploy.memory', /20Gi needs at least 6 CPUs/],
    ['32Gi on 6 CPUs', { 'deploy.memory': '32Gi', 'deploy.cpu': '6' }, 'deploy.memory', /32Gi needs at least 8 CPUs/],
    [
      '4 CPUs with 1Gi',
      { 'deploy.memory': '1Gi', 'deploy.cpu': '4' },
      'deploy.cpu',
      /4 CPUs needs at least 2Gi of memory/,
    ],
    [
      '8 CPUs with 2Gi',
      { 'deploy.memory': '2Gi', 'deploy.cpu': '8000m' },
      'deploy.cpu',
      /8 CPUs needs at least 4Gi of memory/,
    ],
    [
      'half a CPU without concurrency 1',
      { 'deploy.cpu': '0.5' },
      'deploy.concurrency',
      /concurrency: 1 when cpu is below 1/,
    ],
    [
      'half a CPU with 2Gi',
      { 'deploy.cpu': '0.5', 'deploy.memory': '2Gi', 'deploy.concurrency': 1 },
      'deploy.memory',
      /2Gi needs at least 1 CPU/,
    ],
    // Timeouts and instances.
    [
      'timeoutSeconds 120000',
      { 'deploy.timeoutSeconds': 120000 },
      'deploy.timeoutSeconds',
      /^must be at most 3600 \(got 120000\)/,
    ],
    ['timeoutSeconds 0', { 'deploy.timeoutSeconds': 0 }, 'deploy.timeoutSeconds', /must be at least 1 \(got 0\)/],
    [
      'timeoutSeconds 1.5',
      { 'deploy.timeoutSeconds': 1.5 },
      'deploy.timeoutSeconds',
      /must be a whole number \(got 1.5\)/,
    ],
    [
      'timeoutSeconds as a duration',
      { 'deploy.timeoutSeconds': '5m' },
      'deploy.timeoutSeconds',
      /must be a number \(got "5m"\)/,
    ],
    [
      'maxInstances below minInstances',
      { 'deploy.minInstances': 5, 'deploy.maxInstances': 3 },
      'deploy.maxInstances',
      /at least minInstances \(5\) \(got 3\)/,
    ],
    ['maxInstances 2000', { 'deploy.maxInstances': 2000 }, 'deploy.maxInstances', /at most 1000 \(got 2000\)/],
    ['negative minInstances', { 'deploy.minInstances': -1 }, 'deploy.minInstances', /at least 0/],
    [
      'an unknown strategy',
      { 'deploy.strategy': 'blue-green' },
      'deploy.strategy',
      /verify-then-promote, direct or canary/,
    ],
    // Canary.
    [
      'canary steps not increasing',
      { 'deploy.strategy': 'canary', 'deploy.canary': { steps: [5, 50, 25] } },
      'deploy.canary.steps[2]',
      /must be increasing: 25 comes after 50/,
    ],
    [
      'a canary step of 100',
      { 'deploy.strategy': 'canary', 'deploy.canary': { steps: [50, 100] } },
      'deploy.canary.steps[1]',
      /1 to 99/,
    ],
    [
      'a fractional canary step',
      { 'deploy.strategy': 'canary', 'deploy.canary': { steps: [2.5] } },
      'deploy.canary.steps[0]',
      /whole percent/,
    ],
    [
      'a fresh baseline',
      { 'deploy.strategy': 'canary', 'deploy.canary': { baseline: 'fresh' } },
      'deploy.canary.baseline',
      /not supported yet: use baseline: serving/,
    ],
    [
      'an unknown judge mode',
      { 'deploy.strategy': 'canary', 'deploy.canary': { judge: 'shadow' } },
      'deploy.canary.judge',
      /enforce or advise/,
    ],
    [
      'a judge override out of range',
      { 'deploy.strategy': 'canary', 'deploy.canary': { judgeOverrides: { errorRate: { alpha: 0.7 } } } },
      'deploy.canary.judgeOverrides.errorRate.alpha',
      /0\.5/,
    ],
    [
      'a canary section without the canary strategy',
      { 'deploy.canary': { steps: [5] } },
      'deploy.canary',
      /only read with strategy: canary/,
    ],
    // Env and secrets.
    ['PORT in env', { 'deploy.env': { PORT: '8080' } }, 'deploy.env.PORT', /"PORT" is reserved by Cloud Run/],
    ['K_REVISION in env', { 'deploy.env': { K_REVISION: 'x' } }, 'deploy.env.K_REVISION', /reserved by Cloud Run/],
    ['a dash in an env name', { 'deploy.env': { 'MY-VAR': 'x' } }, 'deploy.env["MY-VAR"]', /environment variable name/],
    [
      'a mapping as an env value',
      { 'deploy.env': { A: { b: 1 } } },
      'deploy.env.A',
      /must be text, a number or true\/false \(got a mapping\)/,
    ],
    [
      'a secret also in env',
      { 'deploy.env': { KEY: 'x' }, 'deploy.secrets': { KEY: { secret: 'k' } } },
      'deploy.secrets.KEY',
      /also in deploy.env/,
    ],
    [
      'a secret version of words',
      { 'deploy.secrets': { KEY: { secret: 'k', version: 'newest' } } },
      'deploy.secrets.KEY.version',
      /latest or a version number/,
    ],
    // Images.
    [
      'an image without {tag}',
      { 'build.image': 'europe-west1-docker.pkg.dev/p/app/img:latest' },
      'build.image',
      /must end with :\{tag\}/,
    ],
    [
      'an image on Docker Hub',
      { 'build.image': 'docker.io/acme/sample:{tag}' },
      'build.image',
      /Artifact Registry image REGION-docker\.pkg\.dev/,
    ],
    [
      'an unknown image placeholder',
      { 'build.image': 'europe-west1-docker.pkg.dev/p/app/img:{sha}-{tag}' },
      'build.image',
      /only \{tag\} may appear/,
    ],
    // Build.
    [
      'two build sources',
      { 'build.source': { gitUrl: 'https://github.com/a/b.git', trigger: { id: 'x' } } },
      'build.source',
      /exactly one of repository, gitUrl, trigger \(got gitUrl and trigger\)/,
    ],
    ['no build source', { 'build.source': {} }, 'build.source', /is required: one of repository/],
    [
      'a trigger with neither id nor name',
      { 'build.source': { trigger: {} } },
      'build.source.trigger',
      /by id or by name/,
    ],
    [
      'a plain http git URL',
      { 'build.source': { gitUrl: 'http://github.com/a/b.git' } },
      'build.source.gitUrl',
      /https:\/\/ git URL/,
    ],
    ['a build timeout over 24h', { 'build.timeout': '25h' }, 'build.timeout', /must be at most 24h \(got 25h\)/],
    ['a build timeout without unit', { 'build.timeout': 1200 }, 'build.timeout', /1200 has no unit: write `1200s`/],
    [
      'an approval timeout without unit',
      { 'approval.timeout': '15' },
      'approval.timeout',
      /"15" has no unit: write `15s`/,
    ],
    ['a duration with a bad unit', { 'approval.timeout': '15 minutes' }, 'approval.timeout', /not a duration/],
    // Access.
    ['a user name instead of an id', { 'access.approvers': 'alice' }, 'access.approvers[0]', /Slack user id/],
    [
      'selfApproval as a word',
      { 'access.selfApproval': 'yes' },
      'access.selfApproval',
      /must be true\/false \(got "yes"\)/,
    ],
    // Preflight.
    [
      'an unknown preflight kind',
      { preflight: [{ name: 'lint', kind: 'lint' }] },
      'preflight[0].kind',
      /must be one of "ci", "source", "service" \(got "lint"\)/,
    ],
    [
      'an invalid regular expression',
      { preflight: [{ name: 'r', kind: 'source', file: 'x', contains: '(' }] },
      'preflight[0].contains',
      /valid regular expression/,
    ],
    [
      'no envNames',
      { preflight: [{ name: 's', kind: 'service', envNames: [] }] },
      'preflight[0].envNames',
      /must not be empty/,
    ],
    [
      'two preflight steps of one name',
      {
        preflight: [
          { name: 'ci', kind: 'ci' },
          { name: 'ci', kind: 'ci' },
        ],
      },
      'preflight[1].name',
      /already named "ci"/,
    ],
    [
      'an absolute source file',
      { preflight: [{ name: 'f', kind: 'source', file: '/etc/passwd' }] },
      'preflight[0].file',
      /path in the repository/,
    ],
    // Checks.
    [
      'an unknown check kind',
      { 'verify.checks.0.kind': 'htp' },
      'verify.checks[0].kind',
      /must be one of "http", "metrics", "logs", "startup" \(got "htp"\)/,
    ],
    ['no checks', { 'verify.checks': [] }, 'verify.checks', /must not be empty/],
    [
      'two checks of one name',
      { 'verify.checks.1.name': 'health', 'verify.checks.1.after': [] },
      'verify.checks[1].name',
      /already named "health"/,
    ],
    [
      'an after naming no check',
      { 'verify.checks.1.after': ['helth'] },
      'verify.checks[1].after[0]',
      /no check is named "helth"/,
    ],
    [
      'a check after itself',
      { 'verify.checks.1.after': ['metrics'] },
      'verify.checks[1].after[0]',
      /cannot wait for itself/,
    ],
    [
      'a cycle',
      { 'verify.checks.0.after': ['metrics'] },
      'verify.checks[0].after',
      /waits for itself through other checks/,
    ],
    [
      'an unknown severity',
      { 'verify.checks.0.severity': 'optional' },
      'verify.checks[0].severity',
      /"required", "advisory"/,
    ],
    ['a status of 99', { 'verify.checks.0.expect.status': 99 }, 'verify.checks[0].expect.status', /at least 100/],
    ['a path without /', { 'verify.checks.0.path': 'health' }, 'verify.checks[0].path', /starting with \//],
    [
      'equals and exists together',
      { 'verify.checks.0.expect.json': [{ path: 'a', equals: 1, exists: true }] },
      'verify.checks[0].expect.json[0]',
      /only one of equals, exists/,
    ],
    [
      'a json path with spaces',
      { 'verify.checks.0.expect.json': [{ path: 'a b', exists: true }] },
      'verify.checks[0].expect.json[0].path',
      /dot path/,
    ],
    [
      'latency min above max',
      { 'verify.checks.0.expect.latency': { min: '4s', max: '1s' } },
      'verify.checks[0].expect.latency.min',
      /not be more than max/,
    ],
    [
      'a latency without unit',
      { 'verify.checks.0.expect.latency': { p95: 100 } },
      'verify.checks[0].expect.latency.p95',
      /100 has no unit/,
    ],
    [
      'an empty metrics expectation',
      { 'verify.checks.1.expect': {} },
      'verify.checks[1].expect',
      /at least one of families/,
    ],
    [
      'a family with name and prefix',
      { 'verify.checks.1.expect': { families: [{ name: 'a', prefix: 'a_' }] } },
      'verify.checks[1].expect.families[0]',
      /name or prefix/,
    ],
    [
      'a bad series selector',
      { 'verify.checks.1.expect': { values: [{ series: 'a{b=c}', lessThan: 1 }] } },
      'verify.checks[1].expect.values[0].series',
      /Prometheus series/,
    ],
    [
      'a value bound missing',
      { 'verify.checks.1.expect': { values: [{ series: 'a' }] } },
      'verify.checks[1].expect.values[0]',
      /lessThan, greaterThan/,
    ],
    [
      'buckets out of order',
      { 'verify.checks.1.expect': { histograms: [{ name: 'h', buckets: [1, 0.5] }] } },
      'verify.checks[1].expect.histograms[0].buckets',
      /increasing order/,
    ],
    [
      'a counter delta since an unknown check',
      { 'verify.checks.1.expect': { counterDeltas: [{ series: 'c_total', atLeast: 1, since: 'nope' }] } },
      'verify.checks[1].expect.counterDeltas[0].since',
      /no check is named "nope"/,
    ],
    [
      'a counter delta since a check not waited for',
      {
        'verify.checks.1.after': [],
        'verify.checks.1.expect': { counterDeltas: [{ series: 'c_total', atLeast: 1, since: 'health' }] },
      },
      'verify.checks[1].expect.counterDeltas[0].since',
      /add it to after/,
    ],
    [
      'a logs check expecting nothing',
      { 'verify.checks': [{ name: 'l', kind: 'logs', waitFor: '10s' }] },
      'verify.checks[0]',
      /at least one of mustContain/,
    ],
    [
      'a logs timeout shorter than waitFor',
      { 'verify.checks': [{ name: 'l', kind: 'logs', waitFor: '30s', timeout: '20s', mustContain: 'x' }] },
      'verify.checks[0].timeout',
      /longer than waitFor \(30s\)/,
    ],
    [
      'an unknown log severity',
      { 'verify.checks': [{ name: 'l', kind: 'logs', waitFor: '1s', maxSeverity: 'WARN' }] },
      'verify.checks[0].maxSeverity',
      /"WARNING"/,
    ],
    [
      'a startup without maxSeconds',
      { 'verify.checks': [{ name: 's', kind: 'startup' }] },
      'verify.checks[0].maxSeconds',
      /is required/,
    ],
    ['an uppercase check name', { 'verify.checks.0.name': 'Health' }, 'verify.checks[0].name', /lowercase/],
    // Targets and the deploy log.
    ['a cache hit range upside down', { targets: { cacheHitRate: [0.6, 0.4] } }, 'targets.cacheHitRate', /low ≤ high/],
    ['a success rate of 95', { targets: { successRate: 95 } }, 'targets.successRate', /at most 1 \(got 95\)/],
    [
      'an unknown log path placeholder',
      { deployLog: { path: 'docs/{date}-{service}.md', template: 'x.md' } },
      'deployLog.path',
      /unknown placeholder \{service\}/,
    ],
    [
      'a template in a directory',
      { deployLog: { path: 'docs/{date}.md', template: '../x.md' } },
      'deployLog.template',
      /next to the runbook/,
    ],
    [
      'a log path outside the repository',
      { deployLog: { path: '../{date}.md', template: 'x.md' } },
      'deployLog.path',
      /relative \.md path/,
    ],
  ])('refuses %s', (_label, changes, path, message) => {
    const errors = errorsOf(withValues(changes));
    const match = errors.find((error) => error.path === path);
    expect({ errors, found: match !== undefined }).toMatchObject({ found: true });
    expect(match?.message).toMatch(message);
  });

  it('reports every problem at once, not just the first', () => {
    const errors = errorsOf(
      withValues({
        'deploy.memory': '2GB',
        'deploy.timeoutSeconds': 120000,
        'service.name': 'X',
        'build.image': 'nginx',
      }),
    );
    expect(errors.map((error) => error.path).sort()).toEqual([
      'build.image',
      'deploy.memory',
      'deploy.timeoutSeconds',
      'service.name',
    ]);
  });

  it('names several unknown keys of one mapping in one error', () => {
    const errors = errorsOf(withValues({ 'deploy.memroy': '1Gi', 'deploy.cpus': 1 }));
    expect(errors).toEqual([
      { path: 'deploy', message: 'unknown keys "memroy" (did you mean "memory"?), "cpus" (did you mean "cpu"?)' },
    ]);
  });

  it.each<[string, unknown]>([
    ['text', 'name: x'],
    ['a list', []],
    ['null', null],
  ])('refuses a document that is %s', (_label, input) => {
    expect(errorsOf(input)).toEqual([
      { path: '(root)', message: expect.stringMatching(/must be a mapping/) as unknown },
    ]);
  });
});

describe('validateRunbook: warnings', () => {
  it.each<[string, Readonly<Record<string, unknown>>, RegExp]>([
    [
      'a gcr.io image',
      { 'build.image': 'gcr.io/sample-project/sample-app:{tag}' },
      /^build\.image: Container Registry \(gcr\.io\) stopped accepting writes on 18 March 2025/,
    ],
    [
      'a regional gcr.io image',
      { 'build.image': 'eu.gcr.io/sample-project/sample-app:{tag}' },
      /^build\.image: Container Registry/,
    ],
    [
      'no approvers',
      { 'access.approvers': '' },
      /^access\.approvers: empty, so nobody may approve .*\(Liftoff fails closed\)/,
    ],
    ['no approvers and self-approval', { 'access.approvers': [], 'access.selfApproval': true }, /nobody may approve/],
    [
      'a log path every deploy writes',
      { deployLog: { path: 'docs/deploy.md', template: 'x.md' } },
      /^deployLog\.path: without \{date\} or \{tag\}/,
    ],
  ])('loads %s with a warning', (_label, changes, warning) => {
    const { warnings } = valid(withValues(changes));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(warning);
  });
});

describe('Cloud Run resources', () => {
  it.each<[string, number | undefined]>([
    ['512Mi', 512 * 1024 ** 2],
    ['2Gi', 2 * 1024 ** 3],
    ['1G', 1e9],
    ['256M', 256e6],
    ['2GB', undefined],
    ['2 Gi', undefined],
    ['1.5Gi', undefined],
  ])('parseMemory(%j) is %s', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });

  it.each<[string, number | undefined]>([
    ['1', 1],
    ['2', 2],
    ['1000m', 1],
    ['500m', 0.5],
    ['0.08', 0.08],
    ['two', undefined],
    ['-1', undefined],
  ])('parseCpu(%j) is %s', (text, cpus) => {
    expect(parseCpu(text)).toBe(cpus);
  });

  const GiB = 1024 ** 3;
  it.each<[number, number, number | undefined, string[]]>([
    [1, 4 * GiB, undefined, []],
    [1, 5 * GiB, undefined, ['memory']],
    [2, 8 * GiB, undefined, []],
    [2, 9 * GiB, undefined, ['memory']],
    [4, 16 * GiB, undefined, []],
    [4, 17 * GiB, undefined, ['memory']],
    [4, 1 * GiB, undefined, ['cpu']],
    [6, 24 * GiB, undefined, []],
    [6, 25 * GiB, undefined, ['memory']],
    [6, 2 * GiB, undefined, ['cpu']],
    [8, 32 * GiB, undefined, []],
    [8, 2 * GiB, undefined, ['cpu']],
    [0.5, GiB, 1, []],
    [0.5, GiB, 80, ['concurrency']],
    [0.25, GiB, 1, ['memory']],
  ])('checkCpuMemory(%d CPUs, %d bytes, concurrency %s) → %j', (cpus, memory, concurrency, keys) => {
    expect(checkCpuMemory(cpus, memory, concurrency).map((problem) => problem.key)).toEqual(keys);
  });
});

describe('validateRunbook: monitoring', () => {
  it('has no monitoring section unless the runbook asks for one', () => {
    expect(valid(validInput()).runbook.monitoring).toBeUndefined();
  });

  it.each<[string, unknown, unknown]>([
    [
      'both files with every default ({})',
      { prometheus: {}, grafana: {} },
      {
        prometheus: { path: 'monitoring/prometheus.yml', jobName: 'sample-app_production', scrapeInterval: 15_000 },
        grafana: { path: 'monitoring/grafana/sample-app-dashboard.json' },
      },
    ],
    [
      'empty keys (YAML null) as {}',
      { prometheus: null, grafana: null },
      {
        prometheus: { path: 'monitoring/prometheus.yml', jobName: 'sample-app_production', scrapeInterval: 15_000 },
        grafana: { path: 'monitoring/grafana/sample-app-dashboard.json' },
      },
    ],
    [
      'only prometheus, every key given',
      { prometheus: { path: 'ops/prom.yaml', jobName: 'emergence_production', scrapeInterval: '30s' } },
      { prometheus: { path: 'ops/prom.yaml', jobName: 'emergence_production', scrapeInterval: 30_000 } },
    ],
    [
      'only grafana, with its path',
      { grafana: { path: 'dashboards/sample.json' } },
      { grafana: { path: 'dashboards/sample.json' } },
    ],
    ['an empty section (no file)', {}, {}],
  ])('accepts %s', (_label, monitoring, expected) => {
    expect(valid(withValue('monitoring', monitoring)).runbook.monitoring).toEqual(expected);
  });

  it('names the defaults after the service', () => {
    const input = withValues({ 'service.name': 'emergence-app', monitoring: { prometheus: {}, grafana: {} } });
    expect(valid(input).runbook.monitoring).toEqual({
      prometheus: { path: 'monitoring/prometheus.yml', jobName: 'emergence-app_production', scrapeInterval: 15_000 },
      grafana: { path: 'monitoring/grafana/emergence-app-dashboard.json' },
    });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a typo in monitoring', { promethus: {} }, 'monitoring.promethus', /did you mean "prometheus"/],
    [
      'a typo in prometheus',
      { prometheus: { jobname: 'x' } },
      'monitoring.prometheus.jobname',
      /did you mean "jobName"/,
    ],
    ['monitoring as a list', [], 'monitoring', /must be a mapping \(got a list\)/],
    ['grafana as text', { grafana: 'yes' }, 'monitoring.grafana', /must be a mapping/],
    [
      'a path outside the repository',
      { prometheus: { path: '../prometheus.yml' } },
      'monitoring.prometheus.path',
      /relative path/,
    ],
    ['an absolute path', { grafana: { path: '/etc/grafana/d.json' } }, 'monitoring.grafana.path', /relative path/],
    ['a dotdot in the middle', { grafana: { path: 'a/../../d.json' } }, 'monitoring.grafana.path', /relative path/],
    [
      'a prometheus file that is not YAML',
      { prometheus: { path: 'monitoring/prometheus.json' } },
      'monitoring.prometheus.path',
      /\.yml or \.yaml/,
    ],
    ['a dashboard that is not JSON', { grafana: { path: 'monitoring/d.yml' } }, 'monitoring.grafana.path', /\.json/],
    [
      'a job name with a space',
      { prometheus: { jobName: 'emergence production' } },
      'monitoring.prometheus.jobName',
      /job name/,
    ],
    [
      'a bare-number interval',
      { prometheus: { scrapeInterval: 15 } },
      'monitoring.prometheus.scrapeInterval',
      /no unit/,
    ],
    [
      'an interval under a second',
      { prometheus: { scrapeInterval: '500ms' } },
      'monitoring.prometheus.scrapeInterval',
      /at least 1s/,
    ],
    [
      'an interval too long for rate()[5m]',
      { prometheus: { scrapeInterval: '5m' } },
      'monitoring.prometheus.scrapeInterval',
      /at most 2m/,
    ],
  ])('refuses %s', (_label, monitoring, path, message) => {
    const errors = errorsOf(withValue('monitoring', monitoring));
    const match = errors.find((error) => error.path === path);
    expect({ errors, found: match !== undefined }).toMatchObject({ found: true });
    expect(match?.message).toMatch(message);
  });
});
