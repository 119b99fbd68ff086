import { allTrafficTo, pinTraffic } from '../../traffic.js';
import { failure, next, type StepContext, type StepOutcome } from '../step-context.js';

/** Moves all the traffic to the verified revision, under the service's etag. */
export async function promote(ctx: StepContext): Promise<StepOutcome> {
  const deployed = ctx.data.deploy;
  if (deployed === undefined) return failure('promote', 'the deploy step left no revision');
  const where = ctx.service;
  const service = await ctx.deps.cloudRun.getService(where);
  const traffic = allTrafficTo(pinTraffic(service.traffic, service.latestReadyRevision), deployed.revision);
  const result = await ctx.deps.cloudRun.setTraffic({
    service: where,
    etag: service.etag,
    traffic,
    deadline: new Date(ctx.now().getTime() + ctx.timings.trafficMs),
  });
  if (!result.ok) return failure('promote', `moving traffic to ${deployed.revision} failed: ${result.message}`);
  await ctx.save({ promoted: { at: ctx.now().toISOString(), serviceUrl: result.service.uri, traffic } });
  await ctx.report('promote', {
    type: 'promoted',
    revision: deployed.revision,
    before: deployed.previousTraffic,
    after: traffic,
    serviceUrl: result.service.uri,
  });
  return next('recording');
}
