import type { Kysely } from 'kysely';
import type { Account } from '../../accounts/accounts.repository.js';
import type { Database } from '../../db/schema.js';
import type { DoctorCheck } from '../check.js';
import { type Finding, type FindingScope, pass, warn } from '../finding.js';
import { type CapReading, describeReading, readCaps } from './cap-readings.js';

export interface CapDependencies {
  db: Kysely<Database>;
}

/** Past this share of a cap, doctor warns `cap_near` (issue 16). */
const nearShare = 0.8;

/**
 * Volume caps of each account and mode against what it took this UTC day and month (our own
 * records, no Stripe call). `cap_near` warns past 80 %; `cap_reached` warns at 100 %: new
 * payments then go to the split's other accounts or the fallback, so sales go on, but the
 * merchant should know why they moved (and raise the cap, or see that somewhere takes them).
 */
export function capChecks({ db }: CapDependencies): DoctorCheck {
  return {
    name: 'volume caps',
    scope: 'account',
    codes: ['cap_near', 'cap_reached'],
    callsStripe: false,
    async run({ workspaceId, now, account, mode }) {
      if (!account || !mode) return [];
      const scope: FindingScope = { account: account.handle, mode };
      const place = `${account.handle} (${mode})`;
      const caps = account.caps ?? [];
      if (caps.length === 0) {
        const none = `${place} has no volume cap.`;
        return [pass('cap_near', scope, none), pass('cap_reached', scope, none)];
      }
      const readings = await readCaps(db, {
        workspaceId,
        accountId: account.accountId,
        caps,
        mode,
        now,
      });
      const reached = readings.filter(({ cap, used }) => used >= cap.amount);
      const near = readings.filter(
        ({ cap, used }) => used >= cap.amount * nearShare && used < cap.amount,
      );
      return [
        checkNear(scope, place, account, readings, near),
        checkReached(scope, place, account, reached),
      ];
    },
  };
}

function checkNear(
  scope: FindingScope,
  place: string,
  account: Account,
  readings: readonly CapReading[],
  near: readonly CapReading[],
): Finding {
  if (near.length === 0) {
    return pass(
      'cap_near',
      scope,
      `No cap of ${place} is past 80 %: ${readings.map(describeReading).join('; ')}.`,
    );
  }
  return warn(
    'cap_near',
    scope,
    `${place} is past 80 % of ${near.length === 1 ? 'a cap' : `${near.length} caps`}: ${near.map(describeReading).join('; ')}. At 100 % new payments go to other accounts.`,
    `Raise the cap if the processor allows more: ${raiseCommand(account, near)} (the list replaces every cap; amounts in minor units). Or make sure new payments have somewhere to go: a split or a fallback account in the routing ("switchyard config export > routing.json", edit it, "switchyard config apply routing.json").`,
  );
}

function checkReached(
  scope: FindingScope,
  place: string,
  account: Account,
  reached: readonly CapReading[],
): Finding {
  if (reached.length === 0) {
    return pass('cap_reached', scope, `${place} has room under every cap.`);
  }
  return warn(
    'cap_reached',
    scope,
    `${place} has reached ${reached.length === 1 ? 'a cap' : `${reached.length} caps`}: ${reached.map(describeReading).join('; ')}. New payments in ${[...new Set(reached.map(({ cap }) => cap.currency.toUpperCase()))].join(', ')} go to other accounts (the split's others, then the fallback) until the period ends; upsells, renewals and refunds stay on ${account.handle}.`,
    `Raise the cap if the processor allows more: ${raiseCommand(account, reached)} (the list replaces every cap; amounts in minor units). Check with "switchyard route explain" that a payment now has an account: without a split or fallback that takes it, buyers cannot pay.`,
  );
}

/** The update command with every cap as it is, the named ones to be raised. */
function raiseCommand(account: Account, raise: readonly CapReading[]): string {
  const caps = (account.caps ?? []).map((cap) =>
    raise.some((one) => one.cap === cap)
      ? `${cap.currency}:${cap.period}:<more than ${cap.amount}>`
      : `${cap.currency}:${cap.period}:${cap.amount}`,
  );
  return `"switchyard accounts update ${account.handle} --caps ${caps.join(',')}"`;
}
