import { z } from 'zod';
import { type AdminApp, actorOf } from '../http/app.js';
import type { AuditLog } from './audit.service.js';

const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  subject: z.string().min(1).max(200).optional(),
});

export function registerAuditRoutes(app: AdminApp, audit: AuditLog): void {
  app.get('/api/audit', { schema: { querystring: auditQuery } }, async function listAudit(request) {
    const entries = await audit.list({
      workspaceId: actorOf(request).workspaceId,
      limit: request.query.limit,
      ...(request.query.subject ? { subject: request.query.subject } : {}),
    });
    return { entries };
  });
}
