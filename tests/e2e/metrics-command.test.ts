import { waitFor } from '../support/liftoff-harness.js';
import { startWorld, type World } from '../support/world.js';

describe('/metrics over the emulated service', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('posts the live snapshot against the targets, and new beside previous with --compare', async () => {
    w = await startWorld();
    expect((await w.deployAndWait()).state).toBe('succeeded');
    await w.sender.slashCommand({
      command: '/metrics',
      text: 'phase3 --compare',
      userId: 'U0GUEST',
      channelId: 'C0DEPLOYS',
    });
    const posted = await waitFor(
      () =>
        w.emulator.responses.find(
          (r) => r.response_type === 'in_channel' && JSON.stringify(r.blocks ?? []).includes('success rate'),
        ),
      'the snapshot',
      15_000,
    );
    const text = JSON.stringify(posted.blocks);
    for (const label of [
      'success rate',
      'analysis latency p95',
      'cache hit rate',
      'Failures by error_type',
      'Service URL',
      'tag build-deploy-',
    ])
      expect(text).toContain(label);
    // The verification's forced analyses succeeded on the new revision: 100 % against > 95 %.
    expect(text).toMatch(/success rate: \*100(\.0)? ?%/);
    // The chart follows as a PNG uploaded to the channel; the text above stands alone without it.
    const upload = await w.emulator.waitForCall('files.completeUploadExternal', undefined, 15_000);
    expect(upload.params.channel_id).toBe('C0DEPLOYS');
    const [file] = [...w.emulator.files.values()];
    expect(file?.bytes?.subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses a bad option with a clear message', async () => {
    const response = await w.sender.slashCommand({
      command: '/metrics',
      text: 'phase3 --now',
      userId: 'U0GUEST',
      channelId: 'C0DEPLOYS',
    });
    expect((response.json() as { text: string }).text).toContain('unknown option `--now`');
  });
});
