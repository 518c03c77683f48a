import { z } from 'zod';
import { isCountryCode } from './pages/countries.js';

/**
 * What a buyer types on the order form and the opt-in form, and the limits the server holds it
 * to. The pages put the same limits on their fields (`maxlength`, `required`), so a buyer meets
 * them while typing and the two cannot drift apart.
 */
export const contactLimits = {
  email: { maxLength: 320, required: true },
  name: { maxLength: 200, required: false },
  country: { required: true },
} as const;

export const emailSchema = z
  .string({ error: 'enter your email address' })
  .trim()
  .min(1, { error: 'enter your email address' })
  .max(contactLimits.email.maxLength, {
    error: `at most ${contactLimits.email.maxLength} characters`,
  })
  .pipe(z.email({ error: 'enter an email address such as ana@example.com' }))
  .transform((email) => email.toLowerCase());

const contactSchema = z.object({
  email: emailSchema,
  name: z
    .string({ error: 'enter your name' })
    .trim()
    .max(contactLimits.name.maxLength, {
      error: `at most ${contactLimits.name.maxLength} characters`,
    })
    .default(''),
  country: z
    .string({ error: 'choose your country' })
    .trim()
    .transform((country) => country.toUpperCase())
    .refine(isCountryCode, { error: 'choose your country from the list' }),
});

export type ContactInput = z.output<typeof contactSchema>;

/** Validates the visitor's contact form: field -> message for each problem, or the values. */
export function parseContact(
  input: unknown,
): { ok: true; contact: ContactInput } | { ok: false; errors: Record<string, string> } {
  const parsed = contactSchema.safeParse(input ?? {});
  if (parsed.success) return { ok: true, contact: parsed.data };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}
