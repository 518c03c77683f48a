import { z } from 'zod';
import { handleSchema } from '../accounts/accounts.routes.js';
import { parseInput } from '../catalog/catalog.schema.js';
import { type AdminApp, actorOf } from '../http/app.js';
import type { DoctorService } from './doctor.service.js';

const doctorQuery = z.strictObject({ account: handleSchema.optional() });

/** `GET /api/doctor`: the report's own status is in the body; the request itself succeeded. */
export function registerDoctorRoutes(app: AdminApp, doctor: DoctorService): void {
  app.get('/api/doctor', async function runDoctor(request) {
    const query = parseInput(doctorQuery, request.query ?? {}, 'query');
    return doctor.run(
      actorOf(request).workspaceId,
      query.account === undefined ? {} : { account: query.account },
    );
  });
}
