import { randomFillSync } from 'node:crypto';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Makes Stripe-looking ids (`pi_3Nx…`) and secrets from one pooled random buffer. */
export interface IdFactory {
  newId(prefix: string, length?: number): string;
  newSecret(length?: number): string;
}

export function createIdFactory(): IdFactory {
  // One syscall fills ids for many requests: per-id randomBytes costs more than the id is worth.
  const pool = Buffer.alloc(8192);
  let offset = pool.length;

  function randomText(length: number): string {
    if (offset + length > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    let text = '';
    for (let i = 0; i < length; i++) {
      const byte = pool[offset + i] ?? 0;
      text += alphabet[byte % alphabet.length];
    }
    offset += length;
    return text;
  }

  return {
    newId: function newId(prefix: string, length = 24) {
      return `${prefix}_${randomText(length)}`;
    },
    newSecret: function newSecret(length = 24) {
      return randomText(length);
    },
  };
}
