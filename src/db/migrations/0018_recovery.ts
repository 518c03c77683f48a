import type { Kysely, Migration } from 'kysely';

/** Issue 17: Abandoned checkouts: consent and the one recovery email. */
export const recovery: Migration = {
  async up(_db: Kysely<unknown>) {},
  async down(_db: Kysely<unknown>) {},
};
