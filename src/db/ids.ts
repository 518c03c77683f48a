import { randomBytes } from 'node:crypto';

/** A random id with a readable prefix: `acct_` for accounts, `aud_` for audit entries, … */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
