import { waitFor } from '../../support/liftoff-harness.js';
import { startWorld, type World } from '../../support/world.js';

/** `/metrics` in the channel: the snapshot as text, then its chart as a PNG; without the chart when the upload fails. */
describe('/metrics chart upload through the real app', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.closeWorld();
  });
  beforeEach(() => {
    w.emulator.reset();
  });

  const askMetrics = async (): Promise<void> => {
    await w.sender.slashCommand({ command: '/metrics', text: 'phase3', userId: 'U0GUEST', channelId: 'C0DEPLOYS' });
    await waitFor(
      () =>
        w.emulator.responses.find(
          (r) => r.response_type === 'in_channel' && JSON.stringify(r.blocks ?? []).includes('success rate'),
        ),
      'the snapshot',
      15_000,
    );
  };

  it('shares the chart as a PNG in the channel', async () => {
    await askMetrics();
    const upload = await w.emulator.waitForCall('files.completeUploadExternal', undefined, 15_000);
    expect(upload.params.channel_id).toBe('C0DEPLOYS');
    const [file] = [...w.emulator.files.values()];
    expect(file?.completed).toBe(true);
    expect(file?.bytes?.subarray(1, 4).toString()).toBe('PNG');
    expect(w.emulator.messages.some((m) => m.via === 'files.completeUploadExternal')).toBe(true);
  });

  it('keeps the text alone when the upload fails', async () => {
    w.emulator.failNext('files.completeUploadExternal', 'not_in_channel');
    await askMetrics();
    const outcomes = await waitFor(
      async () => {
        const all = (await w.liftoff.store.listAudit(50)).map((entry) => entry.outcome);
        return all.includes('ok: snapshot without chart') ? all : undefined;
      },
      'the audit entry of a snapshot without its chart',
      15_000,
    );
    expect(outcomes.filter((outcome) => outcome === 'ok: snapshot with chart')).toHaveLength(1);
    expect(w.emulator.messages.some((m) => m.via === 'files.completeUploadExternal')).toBe(false);
  });
});
