import { compileLogFilter, type LogEntryForFilter } from '../../../sandbox/gcp/logging-filter.js';

const project = 'emergence-469005';
const resource = {
  type: 'cloud_run_revision',
  labels: {
    project_id: project,
    service_name: 'emergence-app',
    revision_name: 'emergence-app-00275-abc',
    location: 'europe-west1',
  },
};

const analyzerLine: LogEntryForFilter = {
  logName: `projects/${project}/logs/run.googleapis.com%2Fstderr`,
  timestamp: new Date('2026-11-24T10:05:00.123Z'),
  severity: 'INFO',
  textPayload:
    '2026-11-24 10:05:00,123 - backend.features.memory.analyzer - INFO - [MemoryAnalyzer] Analyse réussie avec neo_analysis pour session aa327d90-3547-4396-a409-f565182db61a',
  resource,
};

const failedRequest: LogEntryForFilter = {
  logName: `projects/${project}/logs/run.googleapis.com%2Frequests`,
  timestamp: new Date('2026-11-24T10:06:00Z'),
  severity: 'ERROR',
  resource,
  labels: { instanceId: '00f1', 'run.googleapis.com/base_image_versions': 'x' },
  httpRequest: {
    requestMethod: 'POST',
    requestUrl: 'https://emergence-app.run.app/api/memory/analyze',
    status: 500,
    latency: '6.282s',
  },
};

const oldWarning: LogEntryForFilter = {
  logName: `projects/${project}/logs/run.googleapis.com%2Fstderr`,
  timestamp: new Date('2026-11-24T09:59:59.999Z'),
  severity: 'WARNING',
  textPayload: '[MemoryAnalyzer] Analyse neo_analysis échouée (TimeoutError) pour session x — fallback Nexus',
  resource: { type: 'cloud_run_revision', labels: { ...resource.labels, service_name: 'other-app' } },
};

const structured: LogEntryForFilter = {
  logName: `projects/${project}/logs/liftoff`,
  timestamp: new Date('2026-11-24T10:10:00Z'),
  severity: 'NOTICE',
  resource: { type: 'global', labels: {} },
  jsonPayload: {
    message: 'Deploy approved',
    run: { id: 'run-42', attempts: 2, dryRun: false, tags: ['phase3', 'canary'] },
    shoeSize: [8.5, 9, 6],
    nothing: null,
  },
};

const entries = { analyzerLine, failedRequest, oldWarning, structured };
type Name = keyof typeof entries;

function matching(filter: string): Name[] {
  const compiled = compileLogFilter(filter);
  if (!compiled.ok) throw new Error(compiled.error);
  return (Object.keys(entries) as Name[]).filter((name) => compiled.matches(entries[name]));
}

describe('compileLogFilter: the seed runbook and Liftoff filters', () => {
  it.each<[string, Name[]]>([
    // 3.4 of the seed runbook, after the shell removed the backslashes.
    [
      'resource.type=cloud_run_revision AND resource.labels.service_name=emergence-app',
      ['analyzerLine', 'failedRequest'],
    ],
    [
      'resource.type=cloud_run_revision AND resource.labels.service_name=emergence-app AND textPayload=~"MemoryAnalyzer"',
      ['analyzerLine'],
    ],
    // Troubleshooting 4: the runbook's regex does not match what the analyzer really logs ("échouée").
    ['resource.type=cloud_run_revision AND textPayload=~"neo_analysis.*échec"', []],
    ['resource.type=cloud_run_revision AND textPayload=~"neo_analysis.*échou"', ['oldWarning']],
    [
      'resource.type="cloud_run_revision" AND timestamp>="2026-11-24T10:00:00Z" AND severity>=ERROR AND httpRequest.status>=500',
      ['failedRequest'],
    ],
    ['timestamp>="2026-11-24T10:00:00Z" severity>=WARNING', ['failedRequest']],
    ['timestamp<"2026-11-24T10:00:00Z"', ['oldWarning']],
    ['timestamp>="2026-11-24T11:00:00+01:00" AND timestamp<="2026-11-24T10:05:00.123Z"', ['analyzerLine']],
  ])('%s', (filter, expected) => {
    expect(matching(filter)).toEqual(expected);
  });
});

describe('compileLogFilter: operators and fields', () => {
  it.each<[string, Name[]]>([
    ['', ['analyzerLine', 'failedRequest', 'oldWarning', 'structured']],
    ['severity=ERROR', ['failedRequest']],
    ['severity=error', ['failedRequest']],
    ['severity!=ERROR', ['analyzerLine', 'oldWarning', 'structured']],
    ['severity>INFO', ['failedRequest', 'oldWarning', 'structured']],
    ['severity<=INFO', ['analyzerLine']],
    ['severity>=400', ['failedRequest', 'oldWarning']],
    ['severity<NOTICE', ['analyzerLine']],
    ['severity="NOTICE"', ['structured']],
    ['httpRequest.status=500', ['failedRequest']],
    ['httpRequest.status<500', []],
    ['httpRequest.status!=500', ['analyzerLine', 'oldWarning', 'structured']],
    ['httpRequest.latency>"5s"', ['failedRequest']],
    ['httpRequest.latency<"5s"', []],
    ['httpRequest.requestUrl:"/api/memory/analyze"', ['failedRequest']],
    ['httpRequest.requestMethod=post', ['failedRequest']],
    ['logName="projects/emergence-469005/logs/run.googleapis.com%2Frequests"', ['failedRequest']],
    ['logName:"run.googleapis.com%2Fstderr"', ['analyzerLine', 'oldWarning']],
    ['log_id("run.googleapis.com/requests")', ['failedRequest']],
    ['textPayload:memoryanalyzer', ['analyzerLine', 'oldWarning']],
    ['textPayload:*', ['analyzerLine', 'oldWarning']],
    ['-textPayload:*', ['failedRequest', 'structured']],
    ['NOT textPayload:*', ['failedRequest', 'structured']],
    ['textPayload=~"^\\[MemoryAnalyzer\\]"', ['oldWarning']],
    ['textPayload=~"(?i)memoryanalyzer\\] analyse réussie"', ['analyzerLine']],
    ['textPayload=~"memoryanalyzer"', []],
    ['textPayload!~"réussie"', ['failedRequest', 'oldWarning', 'structured']],
    ['labels.instanceId="00f1"', ['failedRequest']],
    ['labels."run.googleapis.com/base_image_versions":*', ['failedRequest']],
    ['resource.labels.revision_name="emergence-app-00275-abc"', ['analyzerLine', 'failedRequest', 'oldWarning']],
    ['resource.type=("global" OR "gce_instance")', ['structured']],
    ['resource.labels.service_name=(emergence-app OR other-app) severity=WARNING', ['oldWarning']],
    ['textPayload:("neo_analysis" AND "Nexus")', ['oldWarning']],
    ['textPayload:(neo_analysis NOT Nexus)', ['analyzerLine']],
    ['jsonPayload.message="deploy approved"', ['structured']],
    ['jsonPayload.run.id=run-42', ['structured']],
    ['jsonPayload.run.attempts>=2', ['structured']],
    ['jsonPayload.run.attempts>2', []],
    ['jsonPayload.run.dryRun=false', ['structured']],
    ['jsonPayload.run.tags=canary', ['structured']],
    ['jsonPayload.shoeSize<7', ['structured']],
    ['jsonPayload.shoeSize>10', []],
    ['jsonPayload.nothing=NULL_VALUE', ['structured']],
    ['jsonPayload.nothing:*', ['structured']],
    ['jsonPayload.missing:*', []],
    ['jsonPayload.run:attempts', ['structured']],
    ['"Deploy approved"', ['structured']],
    ['europe-west1', ['analyzerLine', 'failedRequest', 'oldWarning']],
    ['SEARCH("fallback nexus")', ['oldWarning']],
    ['neo_analysis Nexus', ['oldWarning']],
    ['neo_analysis and Nexus', []],
  ])('%s', (filter, expected) => {
    expect(matching(filter)).toEqual(expected);
  });
});

describe('compileLogFilter: boolean structure', () => {
  it.each<[string, Name[]]>([
    // NOT binds tightest, then OR, then AND: (a OR (NOT b)) AND ((NOT c) OR d).
    ['severity=INFO OR NOT severity=ERROR AND NOT textPayload:* OR severity=ERROR', ['structured']],
    ['(severity=INFO OR NOT severity=ERROR) AND (NOT textPayload:* OR severity=ERROR)', ['structured']],
    [
      'severity=INFO OR (NOT severity=ERROR AND NOT textPayload:*) OR severity=ERROR',
      ['analyzerLine', 'failedRequest', 'structured'],
    ],
    ['(severity=INFO OR severity=WARNING) AND resource.labels.service_name=emergence-app', ['analyzerLine']],
    ['severity=INFO OR severity=WARNING resource.labels.service_name=emergence-app', ['analyzerLine']],
    ['NOT (severity=INFO OR severity=WARNING)', ['failedRequest', 'structured']],
    ['-(severity=INFO OR severity=WARNING)', ['failedRequest', 'structured']],
    ['severity=ERROR\n-- a comment with AND OR ( in it\nhttpRequest.status=500', ['failedRequest']],
    ['httpRequest.status > -1', ['failedRequest']],
  ])('%s', (filter, expected) => {
    expect(matching(filter)).toEqual(expected);
  });
});

describe('compileLogFilter: errors name the position', () => {
  it.each<[string, number, RegExp]>([
    ['severity=ERROR AND (httpRequest.status>=500', 43, /expected \), token end of filter at line 1, column 44/],
    ['severity=ERROR)', 14, /unbalanced parenthesis, token '\)' at line 1, column 15/],
    ['textPayload="unterminated', 12, /unterminated string at line 1, column 13/],
    ['timestamp>=2026-11-24T10:00:00Z', 24, /quote it, token ':' at line 1, column 25/],
    ['timestamp>="yesterday"', 11, /invalid timestamp 'yesterday'/],
    ['severity>=SEVERE', 10, /unknown severity 'SEVERE' at line 1, column 11/],
    ['textPayload=~"(unclosed"', 13, /invalid regular expression/],
    ['resource.type=cloud_run_revision\nAND foo.bar=1', 37, /unknown field 'foo', token 'foo.bar' at line 2, column 5/],
    ['severity=', 9, /expected a value after '=', token end of filter/],
    ['severity.level=ERROR', 0, /field 'severity' has no subfields/],
    ['nope("x")', 0, /unknown function 'nope'/],
    ['AND severity=ERROR', 0, /syntax error, token 'AND' at line 1, column 1/],
    ['severity ! ERROR', 9, /token '!'/],
  ])('%s', (filter, position, message) => {
    const compiled = compileLogFilter(filter);
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    expect(compiled.position).toBe(position);
    expect(compiled.error).toMatch(message);
  });

  it('refuses a filter over 20,000 characters', () => {
    const compiled = compileLogFilter(`textPayload:"${'x'.repeat(20_000)}"`);
    expect(compiled).toMatchObject({ ok: false, position: 20_000 });
  });
});
