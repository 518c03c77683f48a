import pg from 'pg';

/** The PostgreSQL the suite's PostgreSQL half runs on. */
export const postgresUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchyard_test';

/**
 * Makes the PostgreSQL half of the suite able to run: when the server answers but the test
 * database is missing, creates it (connected to the server's `postgres` database). Returns why
 * the half cannot run, or null when it can.
 */
export async function preparePostgres(url: string): Promise<string | null> {
  const refusal = await refusalOf(url);
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  // 3D000: the server answered, and the database does not exist.
  if (refusal === null || refusal.code !== '3D000' || database === '') {
    return refusal && `PostgreSQL at ${shown(url)} does not answer (${refusal.message})`;
  }
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const creation = await refusalOf(
    maintenance.toString(),
    `create database "${database.replaceAll('"', '""')}"`,
  );
  if (creation !== null) {
    return `PostgreSQL at ${shown(url)} has no database "${database}", and creating it failed (${creation.message})`;
  }
  const retry = await refusalOf(url);
  return retry && `PostgreSQL at ${shown(url)} does not answer (${retry.message})`;
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

/** Runs one statement on its own connection; the error it met, or null. */
async function refusalOf(
  url: string,
  text = 'select 1',
): Promise<(Error & { code?: string }) | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(text);
    return null;
  } catch (error) {
    return error as Error & { code?: string };
  } finally {
    await client.end().catch(() => undefined);
  }
}
