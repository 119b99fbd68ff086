import { compileLogFilter, type LogEntryForFilter } from '../../../sandbox/gcp/logging-filter.js';
import { SEED_RUNBOOK_SESSION_ID, type EmergenceLogEntry } from '../../../sandbox/emergence/index.js';
import { postAnalyze, startService } from './helpers.js';

/** What the Cloud Run emulator adds to a container's entry before Cloud Logging stores it. */
function stored(entry: EmergenceLogEntry, revision: string): LogEntryForFilter {
  return {
    ...entry,
    logName: entry.logName ?? 'projects/emergence-469005/logs/run.googleapis.com%2Fstderr',
    resource: {
      type: 'cloud_run_revision',
      labels: {
        project_id: 'emergence-469005',
        service_name: 'emergence-app',
        revision_name: revision,
        location: 'europe-west1',
      },
    },
  };
}

function find(filter: string, entries: readonly LogEntryForFilter[]): LogEntryForFilter[] {
  const compiled = compileLogFilter(filter);
  if (!compiled.ok) throw new Error(compiled.error);
  return entries.filter((entry) => compiled.matches(entry));
}

describe("the seed runbook's log queries over the sample service's logs", () => {
  it('finds the analyzer line (3.4), no "Cache SAVED" after a forced analysis, and the failures by severity', async () => {
    const started = await startService();
    try {
      await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID, force: true });
      started.service.faults.analyzeFails = true;
      await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID, force: true });
      const entries = started.logs.map((entry) => stored(entry, 'emergence-app-00275-abc'));

      const analyzer = find(
        'resource.type=cloud_run_revision AND resource.labels.service_name=emergence-app AND textPayload=~"MemoryAnalyzer"',
        entries,
      ).map((entry) => entry.textPayload ?? '');
      expect(
        analyzer.some((line) => line.includes('[MemoryAnalyzer] Analyse réussie avec neo_analysis pour session')),
      ).toBe(true);
      expect(analyzer.some((line) => line.includes('Cache SAVED'))).toBe(false);

      // Troubleshooting 4 of the runbook looks for "neo_analysis.*échec": the service writes "échouée".
      expect(find('resource.type=cloud_run_revision AND textPayload=~"neo_analysis.*échec"', entries)).toHaveLength(0);
      expect(find('textPayload=~"neo_analysis.*échouée"', entries)).toHaveLength(1);

      const errors = find(
        'resource.labels.service_name=emergence-app severity>=ERROR timestamp>="2020-01-01T00:00:00Z"',
        entries,
      );
      expect(errors.some((entry) => entry.httpRequest?.status === 500)).toBe(true);
      expect(find('log_id("run.googleapis.com/requests") AND httpRequest.status>=500', entries)).toHaveLength(1);
    } finally {
      await started.service.stop();
    }
  });
});
