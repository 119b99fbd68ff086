import type { ServiceScaling } from '../../../src/deploy/ports/index.js';
import {
  describeScaling,
  emergencyStopRequestMessage,
  emergencyStoppedMessage,
  gcloudScalingCommand,
} from '../../../src/ui/emergency-stop-message.js';

const SERVICE = { project: 'emergence-prod', region: 'europe-west1', name: 'emergence-app' };
const GCLOUD = 'gcloud run services update emergence-app --project emergence-prod --region europe-west1';

describe('the emergency stop messages', () => {
  it.each<[ServiceScaling, string, string]>([
    [{ mode: 'manual', instances: 0 }, 'manual, 0 instances', `${GCLOUD} --scaling=0`],
    [
      { mode: 'automatic', minInstances: 0, maxInstances: null },
      "automatic, at least 0 instances, up to Cloud Run's default maximum",
      `${GCLOUD} --scaling=auto`,
    ],
    [
      { mode: 'automatic', minInstances: 1, maxInstances: 7 },
      'automatic, 1 to 7 instances',
      `${GCLOUD} --scaling=auto --min=1 --max=7`,
    ],
    [
      { mode: 'automatic', minInstances: 2, maxInstances: null },
      "automatic, at least 2 instances, up to Cloud Run's default maximum",
      `${GCLOUD} --scaling=auto --min=2 --max=100`,
    ],
  ])('describes %j and the service-level gcloud command that sets it', (scaling, text, command) => {
    expect(describeScaling(scaling)).toBe(text);
    expect(gcloudScalingCommand(SERVICE, scaling)).toBe(command);
  });

  it('asks with a danger button behind a confirm dialog, and says who can confirm', () => {
    const message = emergencyStopRequestMessage({
      kind: 'confirm',
      runbook: 'phase3',
      service: SERVICE,
      scaling: { mode: 'automatic', minInstances: 0, maxInstances: 10 },
      serving: 'emergence-app-00274-old 100 %',
      requestedBy: 'U0DEV',
      approvers: ['U0LEAD', 'S0ONCALL'],
    });
    const actions = message.blocks.find((block) => block.type === 'actions');
    expect(actions).toMatchObject({
      elements: [
        {
          action_id: 'liftoff_emergency_stop',
          style: 'danger',
          value: 'phase3 U0DEV',
          text: { text: 'Stop emergence-app' },
          confirm: { title: { text: 'Stop emergence-app?' }, confirm: { text: 'Stop it' } },
        },
      ],
    });
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('<@U0DEV> asks for an emergency stop');
    expect(text).toContain('Only an approver can confirm: <@U0LEAD>, <!subteam^S0ONCALL>.');
    expect(text).toContain('emergence-app-00274-old 100 %');
  });

  it('reports the stop with no button, the time, and both ways to undo it', () => {
    const message = emergencyStoppedMessage(
      {
        kind: 'stopped',
        runbook: 'phase3',
        service: SERVICE,
        at: new Date('2026-03-02T14:05:09Z'),
        before: { mode: 'automatic', minInstances: 1, maxInstances: 7 },
        serving: 'emergence-app-00274-old 100 %',
        freeze: null,
        recorded: false,
      },
      'U0LEAD',
      'U0DEV',
    );
    expect(message.blocks.every((block) => block.type !== 'actions')).toBe(true);
    expect(message.text).toContain('stopped by <@U0LEAD> at 14:05 UTC* (asked by <@U0DEV>)');
    expect(message.text).toContain('deploys are NOT held off');
    expect(message.text).toContain('`/rollback phase3 --resume`');
    expect(message.text).toContain(`\`${GCLOUD} --scaling=auto --min=1 --max=7\``);
  });
});
