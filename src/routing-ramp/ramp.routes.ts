import { z } from 'zod';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import { handlePattern } from '../routing/index.js';
import { everyFormat, parseEvery, stepsFormat, stepsProblem } from './ramp.schedule.js';
import type { RampService } from './ramp.service.js';

const handle = z.string().regex(handlePattern, { error: 'an account handle such as "us"' });

const startBody = z
  .object({
    from: handle,
    to: handle,
    steps: z
      .array(z.number(), { error: `needs ${stepsFormat}, as a list: [10, 25, 50, 100]` })
      .superRefine((steps, context) => {
        const problem = stepsProblem(steps);
        if (problem)
          context.addIssue({ code: 'custom', message: `${problem}: needs ${stepsFormat}` });
      }),
    every: z.string().refine((text) => parseEvery(text) !== undefined, {
      error: `needs ${everyFormat}`,
    }),
  })
  .strict();

const pairParams = z.object({ from: handle, to: handle });

/** `GET|POST /api/routing/ramps`, `DELETE /api/routing/ramps/{from}/{to}`: migration ramps. */
export function registerRampRoutes(app: AdminApp, ramps: RampService): void {
  app.get('/api/routing/ramps', async function listRamps(request) {
    return { ramps: await ramps.list(actorOf(request).workspaceId) };
  });

  app.post(
    '/api/routing/ramps',
    { schema: { body: startBody } },
    async function startRamp(request, reply) {
      const { from, to, steps, every } = request.body;
      const started = await ramps.start(
        actorOf(request).workspaceId,
        { from, to, steps, everySeconds: parseEvery(every) ?? 0 },
        actorName(request),
      );
      return reply.status(201).send(started);
    },
  );

  app.delete(
    '/api/routing/ramps/:from/:to',
    { schema: { params: pairParams } },
    async function cancelRamp(request) {
      return {
        ramp: await ramps.cancel(actorOf(request).workspaceId, request.params, actorName(request)),
      };
    },
  );
}
