import { describe, expect, it } from 'vitest';
import {
  amountProblemsOf,
  formErrorsOf,
  formValuesFromBody,
  productInputOf,
} from './product-form.js';
import { stepErrorsOf, stepInputFrom } from './step-form.js';

describe('the product form', () => {
  const values = formValuesFromBody({
    name: 'Course',
    type: 'recurring',
    interval: 'month',
    intervalCount: '3',
    'prices[0].currency': 'USD',
    'prices[0].amount': '49.00',
    'prices[1].currency': '',
    'prices[1].amount': '',
    'prices[2].currency': 'jpy',
    'prices[2].amount': '4900',
  });

  it('sends prices in minor units, leaving empty rows out, each billed the same way', () => {
    const { input, rows } = productInputOf(values);
    expect(input.prices).toEqual([
      { currency: 'USD', amount: 4900, type: 'recurring', interval: 'month', intervalCount: 3 },
      { currency: 'jpy', amount: 4900, type: 'recurring', interval: 'month', intervalCount: 3 },
    ]);
    expect(rows).toEqual([0, 2]);
  });

  it.each([
    ['49.001', 'usd', 'at most 2 decimals'],
    ['0', 'usd', 'above 0'],
    ['49.5', 'jpy', 'no cents'],
    ['forty', 'eur', 'e.g. 49.00'],
  ])('refuses %s %s beside its field', (amount, currency, message) => {
    const problems = amountProblemsOf({
      ...values,
      prices: [{ currency, amount }],
    });
    expect(problems['prices[0].amount']).toContain(message);
  });

  it("puts the catalog's refusals beside the row they came from", () => {
    expect(
      formErrorsOf(
        {
          'prices[1].currency': 'a second usd price',
          'prices[1].interval': 'required',
          name: 'must not be empty',
        },
        [0, 2],
      ),
    ).toEqual({
      'prices[2].currency': 'a second usd price',
      interval: 'required',
      name: 'must not be empty',
    });
  });
});

describe('the step form', () => {
  it('reads bullets and testimonials a line each, and leaves empty blocks out', () => {
    const step = stepInputFrom('order', {
      kind: 'order',
      product: 'course',
      bump: '',
      'content.headline': ' Learn it ',
      'content.bullets': 'One\n\n Two ',
      'content.testimonials': 'Great | Ana | Designer\nFine | Bo',
      'content.guarantee.days': '30',
      'content.guarantee.text': 'Money back',
      'content.trustBadges': 'on',
      'content.consent': '',
    });
    expect(step).toEqual({
      slug: 'order',
      kind: 'order',
      product: 'course',
      content: {
        headline: 'Learn it',
        bullets: ['One', 'Two'],
        testimonials: [
          { quote: 'Great', author: 'Ana', role: 'Designer' },
          { quote: 'Fine', author: 'Bo' },
        ],
        guarantee: { text: 'Money back', days: 30 },
        trustBadges: true,
      },
    });
  });

  it("maps the catalog's paths of this step to its fields, and keeps the others", () => {
    expect(
      stepErrorsOf(
        {
          'steps[1].content.testimonials[0].author': 'must not be empty',
          'steps[1].content.guarantee.days': 'too big',
          'steps[1].product': 'required',
          'steps[0].bump': 'there is no product "x"',
        },
        1,
      ),
    ).toEqual({
      'content.testimonials': 'must not be empty',
      'content.guarantee.days': 'too big',
      product: 'required',
      'steps[0].bump': 'there is no product "x"',
    });
  });
});
