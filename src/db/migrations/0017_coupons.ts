import type { Kysely, Migration } from 'kysely';

/** Issue 17: Coupons and their redemptions. */
export const coupons: Migration = {
  async up(_db: Kysely<unknown>) {},
  async down(_db: Kysely<unknown>) {},
};
