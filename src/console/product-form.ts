import { intervals } from '../catalog/catalog.schema.js';
import type { ProductView } from '../catalog/catalog.service.js';
import { minorUnitDigitsOf, toMajorUnits } from '../catalog/money.js';
import { escapeHtml } from '../http/pages.js';
import {
  csrfInput,
  errorSummary,
  type FieldErrors,
  selectField,
  textareaField,
  textField,
} from './forms.js';

/**
 * The product form: name, description, image, product lines, how it is billed and one price per
 * currency. Prices are typed in the currency's own units ("49.00") and sent as minor units; the
 * catalog schema judges them, and its field paths (`prices[1].amount`) are the inputs' names.
 */

/** A price row the form shows: one spare empty row lets the merchant add a currency. */
interface PriceRow {
  currency: string;
  amount: string;
}

/** What the form holds, as typed. */
export interface ProductFormValues {
  slug: string;
  name: string;
  description: string;
  image: string;
  tags: string;
  type: 'one_time' | 'recurring';
  interval: string;
  intervalCount: string;
  prices: PriceRow[];
}

export function formValuesOf(product: ProductView | null): ProductFormValues {
  const first = product?.prices[0];
  return {
    slug: product?.slug ?? '',
    name: product?.name ?? '',
    description: product?.description ?? '',
    image: product?.image ?? '',
    tags: product?.tags.join(', ') ?? '',
    type: first?.type ?? 'one_time',
    interval: first?.interval ?? 'month',
    intervalCount: String(first?.intervalCount ?? 1),
    prices: (product?.prices ?? []).map((price) => ({
      currency: price.currency.toUpperCase(),
      amount: toMajorUnits(price.amount, price.currency).toFixed(minorUnitDigitsOf(price.currency)),
    })),
  };
}

function stringOf(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** The posted form as typed, price rows in order (at most 20). */
export function formValuesFromBody(body: Record<string, unknown>): ProductFormValues {
  const prices: PriceRow[] = [];
  for (let row = 0; row < 20; row++) {
    if (!(`prices[${row}].currency` in body)) break;
    prices.push({
      currency: stringOf(body, `prices[${row}].currency`),
      amount: stringOf(body, `prices[${row}].amount`),
    });
  }
  return {
    slug: stringOf(body, 'slug'),
    name: stringOf(body, 'name'),
    description: typeof body.description === 'string' ? body.description : '',
    image: stringOf(body, 'image'),
    tags: stringOf(body, 'tags'),
    type: stringOf(body, 'type') === 'recurring' ? 'recurring' : 'one_time',
    interval: stringOf(body, 'interval'),
    intervalCount: stringOf(body, 'intervalCount'),
    prices,
  };
}

function digitsOf(currency: string): number {
  return /^[A-Za-z]{3}$/.test(currency) ? minorUnitDigitsOf(currency) : 2;
}

/** "49.00" in usd → 4900 (amountProblemsOf has refused anything else). */
function minorUnits(amount: string, currency: string): number {
  return Math.round(Number(amount.replace(',', '.')) * 10 ** digitsOf(currency));
}

/**
 * Amounts the form refuses before the catalog sees them: the catalog speaks of minor units,
 * this form of the currency's own ("49.00").
 */
export function amountProblemsOf(values: ProductFormValues): FieldErrors {
  const problems: FieldErrors = {};
  values.prices.forEach((price, row) => {
    if (price.currency === '' && price.amount === '') return;
    const digits = digitsOf(price.currency);
    const pattern = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+([.,]\\d{1,${digits}})?$`);
    if (!pattern.test(price.amount) || Number(price.amount.replace(',', '.')) <= 0) {
      problems[`prices[${row}].amount`] =
        digits === 0
          ? `enter a whole amount above 0, e.g. 4900 (${price.currency.toUpperCase() || 'this currency'} has no cents)`
          : `enter an amount above 0 with at most ${digits} decimals, e.g. 49.00`;
    }
  });
  return problems;
}

/**
 * The product as the catalog schema reads it, and which form row each price came from (empty
 * rows are left out, so `prices[1]` may be the form's third row).
 */
export function productInputOf(values: ProductFormValues): {
  input: Record<string, unknown>;
  rows: number[];
} {
  const rows: number[] = [];
  const prices = values.prices.flatMap((price, row) => {
    if (price.currency === '' && price.amount === '') return [];
    rows.push(row);
    return [
      {
        currency: price.currency,
        amount: minorUnits(price.amount, price.currency),
        type: values.type,
        ...(values.type === 'recurring'
          ? {
              interval: values.interval,
              intervalCount: /^\d+$/.test(values.intervalCount)
                ? Number(values.intervalCount)
                : Number.NaN,
            }
          : {}),
      },
    ];
  });
  return {
    input: {
      name: values.name,
      description: values.description,
      image: values.image === '' ? null : values.image,
      tags: values.tags
        .split(',')
        .map((tag) => tag.trim())
        .filter(Boolean),
      prices,
    },
    rows,
  };
}

/**
 * The catalog's field paths as the form's fields: `prices[1].amount` → the row it came from;
 * a price's interval or type → the billing fields, which every price shares.
 */
export function formErrorsOf(errors: FieldErrors, rows: number[]): FieldErrors {
  const mapped: FieldErrors = {};
  for (const [field, message] of Object.entries(errors)) {
    const price = /^prices\[(\d+)\]\.?(.*)$/.exec(field);
    let name = field;
    if (price) {
      const row = rows[Number(price[1])] ?? Number(price[1]);
      const part = price[2] ?? '';
      name = ['interval', 'intervalCount'].includes(part)
        ? part
        : part === 'type'
          ? 'type'
          : `prices[${row}].${part === 'currency' ? 'currency' : 'amount'}`;
    } else if (field === 'prices') {
      name = 'prices[0].currency';
    }
    mapped[name] ??= message;
  }
  return mapped;
}

export const productLabels: Record<string, string> = {
  slug: 'Slug',
  name: 'Name',
  description: 'Description',
  image: 'Image address',
  tags: 'Product lines',
  type: 'Billing',
  interval: 'Every',
  intervalCount: 'Number of intervals',
};

export function renderProductForm(input: {
  action: string;
  visit: { csrfToken: string };
  values: ProductFormValues;
  errors: FieldErrors | null;
  creating: boolean;
  canSave: boolean;
}): string {
  const { values } = input;
  const errors = input.errors ?? {};
  const rows = [...values.prices, { currency: '', amount: '' }];
  const priceRows = rows
    .map(
      (price, row) => `<div class="price-row">
${textField({ name: `prices[${row}].currency`, label: `Currency ${row + 1}`, value: price.currency, hint: row === 0 ? 'Three letters, e.g. USD' : undefined, error: errors[`prices[${row}].currency`] })}
${textField({ name: `prices[${row}].amount`, label: `Price ${row + 1}`, value: price.amount, inputmode: 'decimal', hint: row === 0 ? 'In the currency, e.g. 49.00' : undefined, error: errors[`prices[${row}].amount`] })}
</div>`,
    )
    .join('\n');
  const labels = { ...productLabels };
  rows.forEach((_, row) => {
    labels[`prices[${row}].currency`] = `Currency ${row + 1}`;
    labels[`prices[${row}].amount`] = `Price ${row + 1}`;
  });
  const summary = input.errors
    ? errorSummary('The catalog did not save this product.', input.errors, labels)
    : '';
  return `<form method="post" action="${escapeHtml(input.action)}" class="panel catalog-form" novalidate>
${summary}${csrfInput(input.visit)}
${input.creating ? textField({ name: 'slug', label: 'Slug', value: values.slug, hint: 'Its name in addresses and files: lowercase letters, digits and "-", e.g. "course". It cannot change later.', error: errors.slug, required: true }) : ''}
${textField({ name: 'name', label: 'Name', value: values.name, error: errors.name, required: true })}
${textareaField({ name: 'description', label: 'Description', value: values.description, rows: 3, error: errors.description })}
${textField({ name: 'image', label: 'Image address', type: 'url', value: values.image, hint: 'Optional, https://…', error: errors.image })}
${textField({ name: 'tags', label: 'Product lines', value: values.tags, hint: 'Optional, separated by commas, e.g. courses, coaching', error: errors.tags })}
<fieldset><legend>How it is billed</legend>
${selectField({
  name: 'type',
  label: 'Billing',
  value: values.type,
  options: [
    { value: 'one_time', label: 'One-time payment' },
    { value: 'recurring', label: 'Subscription' },
  ],
  error: errors.type,
})}
${selectField({ name: 'interval', label: 'Every', value: values.interval, hint: 'Subscriptions only', options: intervals.map((interval) => ({ value: interval, label: interval })), error: errors.interval })}
${textField({ name: 'intervalCount', label: 'Number of intervals', value: values.intervalCount, inputmode: 'numeric', hint: 'Subscriptions only: 3 with "month" bills every three months', error: errors.intervalCount })}
</fieldset>
<fieldset><legend>Prices, one per currency</legend>
<p class="hint">Leave a row empty to remove that price; fill the last one to add a currency.</p>
${priceRows}
</fieldset>
${input.canSave ? `<button type="submit" class="button primary">${input.creating ? 'Create product' : 'Save product'}</button>` : '<p class="hint">Viewers see products; an owner or an admin can change them.</p>'}
</form>`;
}
