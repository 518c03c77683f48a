import { z } from 'zod';
import { parseInput } from '../catalog/catalog.schema.js';
import { type AdminApp, actorOf } from '../http/app.js';
import type { JobsService } from './jobs.service.js';

/** `GET /api/jobs`: each job's interval and next slot, and the latest runs of every instance. */
export function registerJobRoutes(app: AdminApp, jobs: JobsService): void {
  const jobsQuery = z.strictObject({
    job: z
      .string()
      .refine((name) => jobs.names.includes(name), { error: `one of ${jobs.names.join(', ')}` })
      .optional(),
    limit: z.coerce
      .number({ error: 'a whole number from 1 to 200' })
      .int({ error: 'a whole number from 1 to 200' })
      .min(1, { error: 'a whole number from 1 to 200' })
      .max(200, { error: 'a whole number from 1 to 200' })
      .optional(),
  });

  app.get('/api/jobs', async function listJobs(request) {
    const query = parseInput(jobsQuery, request.query ?? {}, 'query');
    return jobs.list(actorOf(request).workspaceId, query);
  });
}
