import { sql } from 'kysely';
import { z } from 'zod';
import type { Store } from '../db/database.js';
import { pendingMigrations } from '../db/migrate.js';
import type { App } from '../http/app.js';

const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.object({
    dialect: z.enum(['sqlite', 'postgres']),
    reachable: z.boolean(),
    pendingMigrations: z.array(z.string()),
    problem: z.string().nullable(),
  }),
});

export function registerHealthRoutes(app: App, store: Store): void {
  app.get(
    '/healthz',
    { schema: { response: { 200: z.object({ status: z.literal('ok') }) } }, logLevel: 'warn' },
    async function liveness() {
      return { status: 'ok' as const };
    },
  );

  app.get(
    '/readyz',
    { schema: { response: { 200: readinessSchema, 503: readinessSchema } }, logLevel: 'warn' },
    async function readiness(_request, reply) {
      const database = await checkDatabase(store);
      const ready = database.reachable && database.pendingMigrations.length === 0;
      reply.status(ready ? 200 : 503);
      return { status: ready ? ('ready' as const) : ('not_ready' as const), database };
    },
  );
}

async function checkDatabase(store: Store) {
  try {
    await sql`select 1`.execute(store.db);
  } catch (error) {
    return {
      dialect: store.dialect,
      reachable: false,
      pendingMigrations: [],
      problem: `The database at ${store.location} does not answer (${(error as Error).message}).`,
    };
  }
  const pending = await pendingMigrations(store);
  return {
    dialect: store.dialect,
    reachable: true,
    pendingMigrations: pending,
    problem: pending.length === 0 ? null : `Migrations not applied yet; run "switchyard migrate".`,
  };
}
