import { ServicesClient } from '@google-cloud/run';
import { gcpClientOptions } from '../../sandbox/gcp/client-options.js';
import type { EmulatedMessage } from '../../sandbox/slack/index.js';
import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { SERVICE, startWorld, type World } from '../support/world.js';

const SERVICE_KEY = `${SERVICE.project}/${SERVICE.region}/${SERVICE.name}`;
const SERVICE_NAME = `projects/${SERVICE.project}/locations/${SERVICE.region}/services/${SERVICE.name}`;

const hasAction = (blocks: readonly unknown[] | undefined, actionId: string): boolean =>
  JSON.stringify(blocks ?? []).includes(`"action_id":"${actionId}"`);

function emulatedService(w: World) {
  const service = w.gcp.services().find((s) => s.name === SERVICE_NAME);
  if (service === undefined) throw new Error('the service is not in the emulator');
  return service;
}

const updateServiceCalls = (w: World): number => w.gcp.calls.filter((c) => c.rpc === 'UpdateService').length;

async function health(w: World): Promise<number> {
  return (await fetch(`${emulatedService(w).uri}/api/health`)).status;
}

describe('the emergency stop: /rollback phase3 --stop and --resume', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
    // The service-level scaling an operator had set, which the stop must record and the resume restore.
    const services = new ServicesClient(gcpClientOptions(w.gcp.endpoint));
    try {
      const [service] = await services.getService({ name: SERVICE_NAME });
      const [operation] = await services.updateService({
        service: { ...service, scaling: { scalingMode: 'AUTOMATIC', minInstanceCount: 1, maxInstanceCount: 7 } },
        updateMask: { paths: ['scaling'] },
      });
      await operation.promise();
    } finally {
      await services.close();
    }
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  const stopCommand = (userId: string) =>
    w.sender.slashCommand({ command: '/rollback', text: 'phase3 --stop', userId, channelId: CHANNEL });
  const resumeCommand = (userId: string) =>
    w.sender.slashCommand({ command: '/rollback', text: 'phase3 --resume', userId, channelId: CHANNEL });
  const textFor = (userId: string, fragment: string) =>
    waitFor(
      () => w.ephemeralTextsFor(userId).find((t) => t.includes(fragment)),
      `an answer to ${userId} with ${fragment}`,
      10_000,
    );

  it('refuses someone who is not a deployer, naming who can, and changes nothing', async () => {
    const calls = updateServiceCalls(w);
    await stopCommand(USERS.outsider);
    const refusal = await textFor(USERS.outsider, 'Only deployers may ask for an emergency stop');
    expect(refusal).toContain(`<@${USERS.requester}>`);
    expect(w.emulator.messages.some((m) => hasAction(m.blocks, 'liftoff_emergency_stop'))).toBe(false);
    expect(updateServiceCalls(w)).toBe(calls);
  });

  it('asks in the channel, refuses a non-approver, stops once on an approver’s double click, and resumes', async () => {
    expect(await health(w)).toBe(200);
    await stopCommand(USERS.requester);
    const asked: EmulatedMessage = await waitFor(
      () => w.emulator.messages.find((m) => m.channel === CHANNEL && hasAction(m.blocks, 'liftoff_emergency_stop')),
      'the stop request in the channel',
      10_000,
    );
    const request = JSON.stringify(asked.blocks);
    expect(request).toContain(`<@${USERS.requester}> asks for an emergency stop`);
    expect(request).toContain('every request to it fails until an approver resumes it');
    expect(request).toContain('The traffic split stays as it is');
    expect(request).toContain(`Only an approver can confirm: <@${USERS.approver}>, <!subteam^S0ONCALL>`);
    expect(request).toContain('"style":"danger"');
    expect(request).toContain('"confirm":{"title"');
    expect(request).toContain('automatic, 1 to 7 instances');

    const click = (userId: string) =>
      w.sender.blockAction({
        actionId: 'liftoff_emergency_stop',
        userId,
        channelId: CHANNEL,
        messageTs: asked.ts,
      });
    const callsBefore = updateServiceCalls(w);
    const etagBefore = emulatedService(w).etag;

    // A deployer who is not an approver: refused to them alone, nothing written.
    await click(USERS.requester);
    await textFor(USERS.requester, 'Only an approver may stop or resume a service');
    expect(updateServiceCalls(w)).toBe(callsBefore);
    expect(emulatedService(w).etag).toBe(etagBefore);

    // The approver's double click: one write, one report in place of the request, and "already stopped".
    await Promise.all([click(USERS.approver), click(USERS.approver)]);
    const report = await waitFor(
      () => (asked.text.includes('stopped by') ? asked : undefined),
      'the request replaced by the report',
      15_000,
    );
    await textFor(USERS.approver, 'is already stopped');
    expect(updateServiceCalls(w)).toBe(callsBefore + 1);
    expect(hasAction(report.blocks, 'liftoff_emergency_stop')).toBe(false);
    const stopped = JSON.stringify(report.blocks);
    expect(stopped).toMatch(new RegExp(`stopped by <@${USERS.approver}> at \\d\\d:\\d\\d UTC\\*`));
    expect(stopped).toContain(`asked by <@${USERS.requester}>`);
    expect(stopped).toContain('/rollback phase3 --resume');
    expect(stopped).toContain(
      `gcloud run services update ${SERVICE.name} --project ${SERVICE.project} --region ${SERVICE.region} --scaling=auto --min=1 --max=7`,
    );

    const service = emulatedService(w);
    expect(service.scaling).toMatchObject({ scalingMode: 'MANUAL', manualInstanceCount: 0 });
    expect(service.etag).not.toBe(etagBefore);
    expect(await health(w)).toBe(503);
    const freeze = await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now());
    expect(freeze?.ownerId).toMatch(new RegExp(`^freeze:${SERVICE_KEY}`));
    expect(freeze?.holderId).toBe(USERS.approver);
    expect(freeze?.reason).toContain('emergency stop');

    // The App Home tab says the service is stopped, beside its traffic.
    await w.sender.appHomeOpened({ userId: USERS.outsider });
    const home = await w.emulator.waitForCall('views.publish', (c) => c.params.user_id === USERS.outsider, 10_000);
    expect(JSON.stringify(home.params.view)).toContain('STOPPED: 0 instances (emergency stop)');

    // While stopped, deploys are refused as locked, naming the stop.
    await w.deploy('phase3');
    await waitFor(
      () => w.ephemeralTextsFor(USERS.requester).find((t) => t.includes('is locked') && t.includes('emergency stop')),
      'the lock refusal',
      10_000,
    );
    const audit = await w.liftoff.store.listAudit(50);
    expect(audit.filter((e) => e.action === 'button emergency stop phase3').map((e) => e.outcome)).toEqual(
      expect.arrayContaining([`ok: stopped ${SERVICE.name}`, 'refused: already_stopped', 'refused: forbidden']),
    );
    expect(audit.some((e) => e.action === '/rollback phase3 --stop' && e.outcome === 'ok: stop asked')).toBe(true);

    // Only an approver resumes; the approver gets the scaling from before the stop back, and the freeze goes.
    await resumeCommand(USERS.requester);
    await textFor(USERS.requester, 'Only an approver may stop or resume a service');
    expect(emulatedService(w).scaling).toMatchObject({ scalingMode: 'MANUAL', manualInstanceCount: 0 });

    await resumeCommand(USERS.approver);
    const resumed = await waitFor(
      () => w.emulator.messages.find((m) => m.channel === CHANNEL && m.text.includes('resumed')),
      'the resume report in the channel',
      10_000,
    );
    expect(JSON.stringify(resumed.blocks)).toContain('automatic, 1 to 7 instances, as it was before the stop');
    expect(emulatedService(w).scaling).toMatchObject({
      scalingMode: 'AUTOMATIC',
      minInstanceCount: 1,
      maxInstanceCount: 7,
    });
    expect(await health(w)).toBe(200);
    expect(await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now())).toBeUndefined();
    expect(updateServiceCalls(w)).toBe(callsBefore + 2);

    // Deploys go again, and the deploy keeps the restored service-level scaling.
    expect((await w.deployAndWait()).state).toBe('succeeded');
    expect(emulatedService(w).scaling).toMatchObject({ scalingMode: 'AUTOMATIC', minInstanceCount: 1 });
  });
});
