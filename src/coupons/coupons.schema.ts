import { z } from 'zod';
import { isKnownCurrency, maximumAmount } from '../catalog/money.js';

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'a product slug: lower-case letters, digits and dashes');

/** `POST /api/coupons` and `switchyard coupons add`: a percent or amounts off, not both. */
export const couponSchema = z
  .object({
    code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{2,40}$/, '2 to 40 letters, digits, dashes or underscores'),
    percentOff: z.number().int().min(1).max(99).optional(),
    amountsOff: z
      .record(
        z
          .string()
          .regex(/^[a-z]{3}$/, 'a three-letter ISO currency code, lower case: usd')
          .refine(isKnownCurrency, 'a three-letter ISO currency code, lower case: usd'),
        z.number().int().positive().max(maximumAmount),
      )
      .optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().positive().optional(),
    products: z.array(slug).max(100).optional(),
  })
  .strict()
  .superRefine((input, context) => {
    const amounts = input.amountsOff ? Object.keys(input.amountsOff).length : 0;
    if ((input.percentOff === undefined) === (amounts === 0)) {
      context.addIssue({
        code: 'custom',
        path: ['percentOff'],
        message: 'give either percentOff or amountsOff (per currency), not both',
      });
    }
  })
  .transform((input) => ({
    ...input,
    expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : undefined,
  }));

export type CouponInput = z.output<typeof couponSchema>;
