import {
  EmergenceStartupError,
  MISSING_PYTHONPATH_ERROR,
  SEED_RUNBOOK_SESSION_ID,
  emergenceRuntime,
  faultsFromImage,
  imageTag,
  startEmergenceService,
  type EmergenceFaults,
  type EmergenceLogEntry,
  type RevisionRuntime,
  type RevisionStartSpec,
} from '../../../sandbox/emergence/index.js';
import { BASE_ENV, textLines } from './helpers.js';

const image = 'europe-west1-docker.pkg.dev/emergence-469005/app/emergence-app:deploy-20251008-183707';

describe('startup', () => {
  it('crashes like the container when PYTHONPATH is missing: logs the traceback as ERROR, then rejects', async () => {
    for (const env of [{ CONCEPT_RECALL_METRICS_ENABLED: 'true' }, { PYTHONPATH: ' ' }]) {
      const logs: EmergenceLogEntry[] = [];
      const starting = startEmergenceService({
        revision: 'emergence-app-00276-bad',
        env,
        writeLog: (entry) => logs.push(entry),
      });
      await expect(starting).rejects.toThrow(EmergenceStartupError);
      await expect(starting).rejects.toThrow("ModuleNotFoundError: No module named 'backend'");
      expect(logs).toHaveLength(1);
      expect(logs[0]?.severity).toBe('ERROR');
      expect(logs[0]?.textPayload).toMatch(
        /^Traceback \(most recent call last\):\n[\s\S]*\nModuleNotFoundError: No module named 'backend'$/,
      );
      expect(logs[0]?.logName).toBe('projects/sandbox-project/logs/run.googleapis.com%2Fstderr');
    }
  });

  it('opens its port only after startupMs, with the startup lines written first', async () => {
    const logs: EmergenceLogEntry[] = [];
    let released = (): void => undefined;
    const sleep = (ms: number): Promise<void> =>
      ms === 5000 ? new Promise<void>((resolve) => (released = resolve)) : Promise.resolve();
    const starting = startEmergenceService({
      revision: 'r',
      env: BASE_ENV,
      startupMs: 5000,
      sleep,
      writeLog: (entry) => logs.push(entry),
    });
    let ready = false;
    void starting.then(() => (ready = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ready).toBe(false);
    expect(textLines(logs)).toContain('INFO:     Waiting for application startup.');
    released();
    const service = await starting;
    try {
      expect(textLines(logs)).toContain('INFO:     Application startup complete.');
      expect(textLines(logs).at(-1)).toBe('INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)');
      expect(logs.every((entry) => entry.severity === 'INFO')).toBe(true);
      expect((await fetch(`${service.url}/api/health`)).status).toBe(200);
    } finally {
      await service.stop();
      await service.stop();
    }
    expect(textLines(logs).at(-1)).toBe('INFO:     Finished server process [1]');
  });

  it('writes plain-text lines with another severity when asked (what unstructured stderr looks like)', async () => {
    const logs: EmergenceLogEntry[] = [];
    const service = await startEmergenceService({
      revision: 'r',
      env: BASE_ENV,
      plainTextSeverity: 'DEFAULT',
      writeLog: (entry) => logs.push(entry),
    });
    await service.stop();
    expect(logs.every((entry) => entry.severity === 'DEFAULT')).toBe(true);
  });
});

describe('image tag markers', () => {
  it.each<[string, string | undefined, EmergenceFaults]>([
    [image, 'deploy-20251008-183707', {}],
    [`${image}-unhealthy`, 'deploy-20251008-183707-unhealthy', { unhealthy: true }],
    [
      `${image}-analyze-fails-metrics-off`,
      'deploy-20251008-183707-analyze-fails-metrics-off',
      { analyzeFails: true, metricsDisabled: true },
    ],
    ['localhost:5000/emergence-app', undefined, {}],
    ['europe-west1-docker.pkg.dev/p/app/emergence-app@sha256:abc', undefined, {}],
  ])('%s', (name, tag, faults) => {
    expect(imageTag(name)).toBe(tag);
    expect(faultsFromImage(name)).toEqual(faults);
  });
});

describe('emergenceRuntime', () => {
  const logs: { revision: string; entry: Parameters<RevisionStartSpec['writeLog']>[0] }[] = [];
  const spec = (revision: string, overrides: Partial<RevisionStartSpec> = {}): RevisionStartSpec => ({
    project: 'emergence-469005',
    region: 'europe-west1',
    service: 'emergence-app',
    revision,
    image,
    env: { ...BASE_ENV },
    writeLog: (entry) => logs.push({ revision, entry }),
    ...overrides,
  });

  it('implements RevisionRuntime: a crash at import is { failed } with the container message', async () => {
    const runtime: RevisionRuntime = emergenceRuntime({ analysisMs: 5 });
    const result = await runtime.start(spec('emergence-app-00276-nopath', { env: { EMERGENCE_ENV: 'production' } }));
    expect(result).toEqual({ failed: MISSING_PYTHONPATH_ERROR });
    expect(
      logs.some(({ revision, entry }) => revision === 'emergence-app-00276-nopath' && entry.severity === 'ERROR'),
    ).toBe(true);
  });

  it('serves each revision on its own port, with live faults, image markers and a database shared by the service', async () => {
    const liveFaults: EmergenceFaults = {};
    const runtime = emergenceRuntime({
      analysisMs: 5,
      faultsFor: (revision) => (revision === 'emergence-app-00277-live' ? liveFaults : undefined),
    });
    try {
      const old = await runtime.start(spec('emergence-app-00277-live'));
      const sick = await runtime.start(spec('emergence-app-00278-sick', { image: `${image}-unhealthy` }));
      if (!('url' in old) || !('url' in sick)) throw new Error('both revisions should start');
      expect(old.url).not.toBe(sick.url);

      expect((await fetch(`${old.url}/api/health`)).status).toBe(200);
      expect((await fetch(`${sick.url}/api/health`)).status).toBe(503);
      expect(runtime.faults('emergence-app-00277-live')).toBe(liveFaults);
      liveFaults.unhealthy = true;
      expect((await fetch(`${old.url}/api/health`)).status).toBe(503);
      const sickFaults = runtime.faults('emergence-app-00278-sick');
      if (sickFaults === undefined) throw new Error('faults of a running revision');
      sickFaults.unhealthy = false;
      expect((await fetch(`${sick.url}/api/health`)).status).toBe(200);

      // A session analysed through one revision is already analysed through the other (one database)…
      const analyse = (url: string, force: boolean) =>
        fetch(`${url}/api/memory/analyze`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ session_id: SEED_RUNBOOK_SESSION_ID, force }),
        }).then((response) => response.json() as Promise<{ status: string; reason?: string }>);
      expect(await analyse(old.url, true)).toMatchObject({ status: 'completed' });
      expect(await analyse(sick.url, false)).toMatchObject({ status: 'skipped', reason: 'already_analyzed' });
      // …but metrics belong to each process.
      const successOf = async (url: string) =>
        (await (await fetch(`${url}/api/metrics`)).text()).includes(
          'memory_analysis_success_total{provider="neo_analysis"} 1.0',
        );
      expect(await successOf(old.url)).toBe(true);
      expect(await successOf(sick.url)).toBe(false);
      expect(
        runtime.store('emergence-469005', 'europe-west1', 'emergence-app').get(SEED_RUNBOOK_SESSION_ID)?.metadata
          .summary,
      ).toBeTruthy();
      expect(runtime.service('emergence-app-00278-sick')?.url).toBe(sick.url);

      await old.stop();
      expect(runtime.faults('emergence-app-00277-live')).toBeUndefined();
      await expect(fetch(`${old.url}/api/health`)).rejects.toThrow();
      const requestLogs = logs.filter(
        ({ revision, entry }) => revision === 'emergence-app-00278-sick' && entry.httpRequest !== undefined,
      );
      expect(requestLogs.length).toBeGreaterThanOrEqual(4);
      expect(requestLogs[0]?.entry.logName).toBe('projects/emergence-469005/logs/run.googleapis.com%2Frequests');
    } finally {
      await runtime.stopAll();
    }
  });

  it('fills unset faults from the image tag into the object faultsFor returns', async () => {
    const given: EmergenceFaults = { metricsDisabled: false };
    const runtime = emergenceRuntime({ faultsFor: () => given });
    try {
      const started = await runtime.start(
        spec('emergence-app-00279-mixed', { image: `${image}-unhealthy-metrics-off` }),
      );
      expect('url' in started).toBe(true);
      expect(runtime.faults('emergence-app-00279-mixed')).toBe(given);
      expect(given).toEqual({ metricsDisabled: false, unhealthy: true });
    } finally {
      await runtime.stopAll();
    }
  });
});
