/**
 * What a buyer reads when Stripe does not take the card, or their bank does not approve a bank
 * payment (iDEAL), by Stripe's decline code or error code: the one table for the payment page,
 * the upsell's card form and the card form's script. Stripe's own message is written for
 * developers ("You can provide payment_method_data…"); it stays on the payment's failure record
 * for the merchant. Lost, stolen and fraud declines read as a plain decline, as Stripe advises,
 * so a card tester learns nothing from them.
 */

const declined = 'Your card was declined. Try another card, or ask your bank why.';
const bankUnavailable = 'Your bank could not be reached just now. Try again in a moment.';
const authenticationFailed =
  'Your bank could not confirm it was you, so nothing was charged. Try again and complete your bank’s check, or use another card.';
const needsPin = 'Your card asks for a PIN, which an online payment cannot take. Try another card.';
const overLimit =
  'Your card has reached a limit set by your bank. Try another card, or ask your bank to allow the payment.';

export const cardProblemWords: Readonly<Record<string, string>> = Object.freeze({
  // Declines that tell the buyer nothing more, and those that must not (lost, stolen, fraud).
  card_declined: declined,
  generic_decline: declined,
  do_not_honor: declined,
  do_not_try_again: declined,
  call_issuer: declined,
  not_permitted: declined,
  restricted_card: declined,
  security_violation: declined,
  service_not_allowed: declined,
  transaction_not_allowed: declined,
  no_action_taken: declined,
  revocation_of_authorization: declined,
  revocation_of_all_authorizations: declined,
  stop_payment_order: declined,
  new_account_information_available: declined,
  invalid_account: declined,
  invalid_amount: declined,
  pickup_card: declined,
  lost_card: declined,
  stolen_card: declined,
  fraudulent: declined,
  merchant_blacklist: declined,
  // What the buyer can do something about.
  insufficient_funds: 'Your card has insufficient funds. Try another card.',
  card_velocity_exceeded: overLimit,
  withdrawal_count_limit_exceeded: overLimit,
  expired_card: 'Your card has expired. Check the expiry date, or use another card.',
  invalid_expiry_month: 'The expiry month is not right. Check it and try again.',
  invalid_expiry_year: 'The expiry year is not right. Check it and try again.',
  incorrect_cvc: 'The security code is not right. Check the 3 or 4 digits on your card.',
  invalid_cvc: 'The security code is not right. Check the 3 or 4 digits on your card.',
  incorrect_number: 'The card number is not right. Check it and try again.',
  invalid_number: 'The card number is not right. Check it and try again.',
  incorrect_zip: 'The postal code does not match your card. Check it and try again.',
  incorrect_address: 'The address does not match your card. Check it and try again.',
  incorrect_pin: needsPin,
  offline_pin_required: needsPin,
  online_or_offline_pin_required: needsPin,
  pin_try_exceeded: 'Too many wrong PINs were entered for this card. Try another card.',
  card_not_supported: 'Your card does not support this kind of purchase. Try another card.',
  currency_not_supported: 'Your card does not support this currency. Try another card.',
  duplicate_transaction:
    'A payment of the same amount was just made with this card. Check your email for a receipt before you pay again.',
  testmode_decline: 'This card cannot be charged here. Use a real card.',
  live_mode_test_card: 'This card cannot be charged here. Use a real card.',
  // Nobody's fault: the bank or the network.
  processing_error: 'Your card could not be processed just now. Try again in a moment.',
  issuer_not_available: bankUnavailable,
  try_again_later: bankUnavailable,
  reenter_transaction: bankUnavailable,
  approve_with_id: bankUnavailable,
  // 3-D Secure and other checks by the bank.
  authentication_required:
    'Your bank asks you to confirm this payment. Pay again and complete the check your bank shows.',
  payment_intent_authentication_failure: authenticationFailed,
  setup_intent_authentication_failure: authenticationFailed,
  // A payment method that sends the buyer to their bank's page (iDEAL), which failed there.
  payment_intent_payment_attempt_failed:
    'Your bank did not approve the payment, so nothing was charged. Try your bank again, or pay by card.',
});

/** Plain words for the buyer; the decline code is the more precise of the two. */
export function cardProblemMessage(failure: {
  code?: string | null | undefined;
  declineCode?: string | null | undefined;
}): string {
  return (
    (failure.declineCode ? cardProblemWords[failure.declineCode] : undefined) ??
    (failure.code ? cardProblemWords[failure.code] : undefined) ??
    declined
  );
}

/** The buyer's message when nothing more precise is known. */
export const cardDeclinedMessage = declined;
