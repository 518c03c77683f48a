import { z } from 'zod';
import { AppError, fieldPath } from '../errors.js';
import type { VerifiedWebhookEvent } from './gateway.js';

/**
 * What a Stripe event must look like before anything of it is stored. A correct signature proves
 * who sent the bytes, not that they hold an event: checked here, both databases refuse the same.
 */
const webhookEventShape = z.object({
  id: z
    .string('expected Stripe\'s event id ("evt_…")')
    .regex(
      /^evt_[A-Za-z0-9_]{1,60}$/,
      'expected Stripe\'s event id ("evt_…", at most 64 characters)',
    ),
  type: z
    .string('expected the event type, such as "payment_intent.succeeded"')
    .regex(
      /^[a-z0-9_]+(\.[a-z0-9_]+)+$/,
      'expected the event type, such as "payment_intent.succeeded"',
    )
    .max(100, 'expected an event type of at most 100 characters'),
  created: z
    .number('expected the Unix time in whole seconds')
    .int('expected the Unix time in whole seconds')
    .nonnegative('expected the Unix time in whole seconds'),
  livemode: z.boolean('expected true or false'),
  account: z.string('expected a Stripe account id').max(64).nullish(),
  data: z.object(
    { object: z.record(z.string(), z.unknown(), 'expected the object the event is about') },
    'expected the object the event is about',
  ),
});

/** The event of a verified delivery, in our shape; a 400 that names the first bad field if not. */
export function parseWebhookEvent(event: unknown): VerifiedWebhookEvent {
  const parsed = webhookEventShape.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${fieldPath(issue.path)}: ${issue.message}` : 'not an object';
    throw new AppError(
      'bad_request',
      `The webhook event is not a well-formed Stripe event (${where}); it was not stored.`,
    );
  }
  const { id, type, created, livemode, account, data } = parsed.data;
  return { id, type, created, livemode, account: account ?? null, object: data.object };
}
