import { createHash } from 'node:crypto';

/** What happens when a card is used, by Stripe's documented test card numbers. */
export type CardOutcome =
  | { kind: 'approve' }
  | {
      kind: 'decline';
      code: string;
      declineCode: string;
      message: string;
      /** Stripe checks most cards when they are attached to a customer; some pass and fail later. */
      declinesOnAttach: boolean;
    }
  | {
      kind: 'authenticate';
      /** A card set up for future use is charged off session without a new challenge. */
      offSessionAfterSetup: boolean;
    };

export interface TestCard {
  number: string;
  brand: string;
  funding: string;
  country: string;
  outcome: CardOutcome;
}

const genericDecline: CardOutcome = {
  kind: 'decline',
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
  declinesOnAttach: true,
};

const knownOutcomes = new Map<string, CardOutcome>([
  ['4000000000000002', genericDecline],
  [
    '4000000000009995',
    {
      kind: 'decline',
      code: 'card_declined',
      declineCode: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
      declinesOnAttach: true,
    },
  ],
  [
    '4000000000000069',
    {
      kind: 'decline',
      code: 'expired_card',
      declineCode: 'expired_card',
      message: 'Your card has expired.',
      declinesOnAttach: true,
    },
  ],
  [
    '4000000000000127',
    {
      kind: 'decline',
      code: 'incorrect_cvc',
      declineCode: 'incorrect_cvc',
      message: "Your card's security code is incorrect.",
      declinesOnAttach: true,
    },
  ],
  [
    '4100000000000019',
    {
      kind: 'decline',
      code: 'card_declined',
      declineCode: 'fraudulent',
      message: 'Your card was declined.',
      declinesOnAttach: true,
    },
  ],
  ['4000000000000341', { ...genericDecline, declinesOnAttach: false }],
  ['4000002500003155', { kind: 'authenticate', offSessionAfterSetup: true }],
  ['4000002760003184', { kind: 'authenticate', offSessionAfterSetup: false }],
  ['4000000000003220', { kind: 'authenticate', offSessionAfterSetup: true }],
]);

/** Stripe's test PaymentMethod ids, usable on every account; each use makes a new `pm_`. */
export const testPaymentMethodNumbers: ReadonlyMap<string, string> = new Map([
  ['pm_card_visa', '4242424242424242'],
  ['pm_card_visa_debit', '4000056655665556'],
  ['pm_card_mastercard', '5555555555554444'],
  ['pm_card_amex', '378282246310005'],
  ['pm_card_discover', '6011111111111117'],
  ['pm_card_chargeDeclined', '4000000000000002'],
  ['pm_card_chargeDeclinedInsufficientFunds', '4000000000009995'],
  ['pm_card_chargeDeclinedExpiredCard', '4000000000000069'],
  ['pm_card_chargeDeclinedIncorrectCvc', '4000000000000127'],
  ['pm_card_chargeDeclinedFraudulent', '4100000000000019'],
  ['pm_card_chargeCustomerFail', '4000000000000341'],
  ['pm_card_authenticationRequired', '4000002760003184'],
  ['pm_card_authenticationRequiredOnSetup', '4000002500003155'],
  ['pm_card_threeDSecure2Required', '4000000000003220'],
]);

export function describeCard(number: string): TestCard {
  return {
    number,
    brand: detectBrand(number),
    funding: number === '4000056655665556' ? 'debit' : 'credit',
    country: 'US',
    outcome: knownOutcomes.get(number) ?? { kind: 'approve' },
  };
}

function detectBrand(number: string): string {
  if (number.startsWith('4')) return 'visa';
  const two = Number(number.slice(0, 2));
  const four = Number(number.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  if (two === 34 || two === 37) return 'amex';
  if (number.startsWith('6011') || number.startsWith('65')) return 'discover';
  if (two === 35) return 'jcb';
  if (two === 36 || two === 30) return 'diners';
  if (two === 62) return 'unionpay';
  return 'unknown';
}

/** The Luhn check Stripe runs before anything else: a typo is `incorrect_number`. */
export function isValidCardNumber(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The same card number gives the same fingerprint on an account, as on Stripe. */
export function fingerprintCard(accountId: string, number: string): string {
  return createHash('sha256').update(`${accountId}:${number}`).digest('base64url').slice(0, 16);
}
