import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with OWASP's recommended floor (19 MiB, 2 passes, 1 lane); `@node-rs/argon2` uses
 * argon2id by default and writes the parameters into the hash, so they can be raised later.
 */
const argon2Options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const passwordLength = { min: 10, max: 200 } as const;

/** What is wrong with a new password, in words for the person choosing it, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < passwordLength.min) {
    return `use at least ${passwordLength.min} characters (a few words you will remember work well)`;
  }
  if (password.length > passwordLength.max) return `use at most ${passwordLength.max} characters`;
  if (password.trim() === '') return 'use something other than spaces';
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}

export async function passwordMatches(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let decoyHash: Promise<string> | undefined;

/**
 * Spends the time a real check takes, so a sign-in with an unknown email answers no faster than
 * one with a wrong password.
 */
export async function spendPasswordCheckTime(password: string): Promise<void> {
  decoyHash ??= hashPassword('switchyard-decoy-password');
  await passwordMatches(await decoyHash, password);
}
