import { type StepContent, type StepInput, stepKinds } from '../catalog/catalog.schema.js';
import type { ProductView, StepView } from '../catalog/catalog.service.js';
import { escapeHtml } from '../http/pages.js';
import { checkboxField, type FieldErrors, selectField, textareaField, textField } from './forms.js';

/**
 * One step's form: its kind, what it offers and each block of its content. Inputs are named as
 * the catalog names the fields (`product`, `content.headline`), so a refusal at
 * `steps[2].content.headline` lands beside the headline.
 */

export const kindLabels: Record<StepInput['kind'], string> = {
  optin: 'Opt-in (email form)',
  sales: 'Sales page',
  order: 'Order form',
  upsell: 'Upsell (one click)',
  downsell: 'Downsell (one click)',
  thankyou: 'Thank-you page',
};

/** Step fields the form shows, with their labels: for the error summary and for mapping refusals. */
export const stepLabels: Record<string, string> = {
  slug: 'Step slug',
  kind: 'Kind',
  product: 'Product offered',
  bump: 'Order bump',
  'content.headline': 'Headline',
  'content.subheadline': 'Subheadline',
  'content.body': 'Body',
  'content.bullets': 'Bullets',
  'content.image': 'Image address',
  'content.video': 'Video embed address',
  'content.testimonials': 'Testimonials',
  'content.guarantee.days': 'Guarantee days',
  'content.guarantee.text': 'Guarantee',
  'content.guarantee': 'Guarantee',
  'content.trustBadges': 'Trust badges',
  'content.buttonText': 'Button text',
  'content.consent': 'Consent wording',
};

/** The step's form fields as typed. */
export type StepFormValues = Record<string, string>;

function testimonialLine(testimonial: NonNullable<StepContent['testimonials']>[number]): string {
  return [testimonial.quote, testimonial.author, testimonial.role ?? '', testimonial.image ?? '']
    .join(' | ')
    .replace(/( \| )+$/, '');
}

export function stepValuesOf(step: StepView): StepFormValues {
  const content = step.content;
  return {
    kind: step.kind,
    product: step.product ?? '',
    bump: step.bump ?? '',
    'content.headline': content.headline ?? '',
    'content.subheadline': content.subheadline ?? '',
    'content.body': content.body ?? '',
    'content.bullets': (content.bullets ?? []).join('\n'),
    'content.image': content.image ?? '',
    'content.video': content.video ?? '',
    'content.testimonials': (content.testimonials ?? []).map(testimonialLine).join('\n'),
    'content.guarantee.days': content.guarantee?.days ? String(content.guarantee.days) : '',
    'content.guarantee.text': content.guarantee?.text ?? '',
    'content.trustBadges': content.trustBadges ? 'on' : '',
    'content.buttonText': content.buttonText ?? '',
    'content.consent': content.consent ?? '',
  };
}

export function stepValuesFromBody(body: Record<string, unknown>): StepFormValues {
  const values: StepFormValues = {};
  for (const name of ['kind', 'product', 'bump', ...Object.keys(stepLabels)]) {
    const value = body[name];
    if (typeof value === 'string') values[name] = value;
  }
  return values;
}

function lines(text: string | undefined): string[] {
  return (text ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Empty fields are left out: the catalog stores only the blocks a step has. */
function optional(value: string | undefined): string | undefined {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? undefined : trimmed;
}

/** The step as the catalog schema reads it (unparsed: the catalog judges it). */
export function stepInputFrom(slug: string, values: StepFormValues): Record<string, unknown> {
  const bullets = lines(values['content.bullets']);
  const testimonials = lines(values['content.testimonials']).map((line) => {
    const [quote = '', author = '', role, image] = line.split('|').map((part) => part.trim());
    return {
      quote,
      author,
      ...(role ? { role } : {}),
      ...(image ? { image } : {}),
    };
  });
  const guaranteeText = optional(values['content.guarantee.text']);
  const guaranteeDays = optional(values['content.guarantee.days']);
  const content = {
    headline: optional(values['content.headline']),
    subheadline: optional(values['content.subheadline']),
    body: optional(values['content.body']),
    bullets: bullets.length ? bullets : undefined,
    image: optional(values['content.image']),
    video: optional(values['content.video']),
    testimonials: testimonials.length ? testimonials : undefined,
    guarantee:
      guaranteeText || guaranteeDays
        ? {
            text: guaranteeText ?? '',
            ...(guaranteeDays
              ? { days: /^\d+$/.test(guaranteeDays) ? Number(guaranteeDays) : Number.NaN }
              : {}),
          }
        : undefined,
    trustBadges: values['content.trustBadges'] === 'on',
    buttonText: optional(values['content.buttonText']),
    consent: optional(values['content.consent']),
  };
  return {
    slug,
    kind: values.kind,
    ...(optional(values.product) ? { product: values.product } : {}),
    ...(optional(values.bump) ? { bump: values.bump } : {}),
    content: Object.fromEntries(Object.entries(content).filter(([, value]) => value !== undefined)),
  };
}

/**
 * The catalog's refusals of step `index` as this form's fields: `steps[2].content.bullets[1]`
 * → `content.bullets`. Others (another step's, the funnel's) keep their path for the summary.
 */
export function stepErrorsOf(errors: FieldErrors, index: number): FieldErrors {
  const prefix = `steps[${index}].`;
  const known = Object.keys(stepLabels).sort((a, b) => b.length - a.length);
  const mapped: FieldErrors = {};
  for (const [field, message] of Object.entries(errors)) {
    const local = field.startsWith(prefix) ? field.slice(prefix.length) : null;
    const name = local === null ? field : (known.find((key) => local.startsWith(key)) ?? local);
    mapped[name] ??= message;
  }
  return mapped;
}

function productOptions(products: readonly ProductView[], none: string) {
  return [
    { value: '', label: none },
    ...products.map((product) => ({
      value: product.slug,
      label: `${product.name} (${product.prices.map((price) => price.display).join(', ')})`,
    })),
  ];
}

/** The kind, product and bump fields: for a new step and for a step's own form. */
export function renderOfferFields(
  values: StepFormValues,
  errors: FieldErrors,
  products: readonly ProductView[],
): string {
  return [
    selectField({
      name: 'kind',
      label: 'Kind',
      value: values.kind,
      options: stepKinds.map((kind) => ({ value: kind, label: kindLabels[kind] })),
      error: errors.kind,
    }),
    selectField({
      name: 'product',
      label: 'Product offered',
      value: values.product,
      hint: 'Order, upsell and downsell steps offer one product; the others none.',
      options: productOptions(products, 'None'),
      error: errors.product,
    }),
    selectField({
      name: 'bump',
      label: 'Order bump',
      value: values.bump,
      hint: 'Order steps only: a second product the buyer can tick on the payment step.',
      options: productOptions(products, 'No bump'),
      error: errors.bump,
    }),
  ].join('\n');
}

/** Every block of the step's content. */
export function renderContentFields(values: StepFormValues, errors: FieldErrors): string {
  const field = (name: string) => ({
    name,
    label: stepLabels[name] ?? name,
    value: values[name],
    error: errors[name],
  });
  return `<fieldset><legend>Words</legend>
${textField(field('content.headline'))}
${textField(field('content.subheadline'))}
${textareaField({ ...field('content.body'), rows: 6, hint: 'Markdown: **bold**, *italic*, [a link](https://…), lists, headings.' })}
${textareaField({ ...field('content.bullets'), rows: 3, hint: 'One bullet a line.' })}
${textField({ ...field('content.buttonText'), hint: 'Optional; each kind of step has its own default.' })}
</fieldset>
<fieldset><legend>Pictures and video</legend>
${textField({ ...field('content.image'), type: 'url', hint: 'Optional, https://…' })}
${textField({ ...field('content.video'), type: 'url', hint: 'Optional: an embed address, e.g. https://www.youtube.com/embed/…' })}
</fieldset>
<fieldset><legend>Proof</legend>
${textareaField({ ...field('content.testimonials'), rows: 3, hint: 'One a line: quote | author | role (optional) | photo address (optional).' })}
${textField({ ...field('content.guarantee.days'), inputmode: 'numeric', hint: 'Optional, e.g. 30' })}
${textField({ ...field('content.guarantee.text'), hint: 'Optional, e.g. Full refund within 30 days, no questions asked.' })}
${checkboxField({ name: 'content.trustBadges', label: 'Show trust badges (secure payment, card brands)', checked: values['content.trustBadges'] === 'on', error: errors['content.trustBadges'] })}
</fieldset>
<fieldset><legend>Order form</legend>
${textField({ ...field('content.consent'), hint: 'Order steps only, optional: the words of an unticked checkbox agreeing to one email about an unpaid order, e.g. "If I don’t finish paying, email me once".' })}
</fieldset>`;
}

/** The name of a step as the funnel page lists it. */
export function stepTitle(step: Pick<StepView, 'slug' | 'kind'>): string {
  return `${escapeHtml(step.slug)} <span class="hint">${escapeHtml(kindLabels[step.kind])}</span>`;
}
