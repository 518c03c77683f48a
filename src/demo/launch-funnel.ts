import type { FunnelDocumentFile } from '../catalog/catalog.schema.js';

/**
 * The demo's `launch` funnel: a sales page, an order form with an order bump, a one-click upsell,
 * a downsell and a thank-you page, sold in dollars and euros.
 */
export const launchFunnel: FunnelDocumentFile = {
  products: [
    {
      slug: 'course',
      name: 'Launch Masterclass',
      description: 'Eight video lessons on planning, pricing and running a product launch.',
      tags: ['courses'],
      prices: [
        { currency: 'usd', amount: 4900 },
        { currency: 'eur', amount: 4500 },
      ],
    },
    {
      slug: 'checklist',
      name: 'Launch Day Checklist',
      description: 'The printable checklist we use on every launch day.',
      tags: ['courses'],
      prices: [
        { currency: 'usd', amount: 1900 },
        { currency: 'eur', amount: 1700 },
      ],
    },
    {
      slug: 'coaching',
      name: 'Group Coaching (3 sessions)',
      description: 'Three live group calls to review your launch plan.',
      tags: ['coaching'],
      prices: [
        { currency: 'usd', amount: 9900 },
        { currency: 'eur', amount: 8900 },
      ],
    },
    {
      slug: 'templates',
      name: 'Launch Email Templates',
      description: 'Twelve email templates for before, during and after a launch.',
      tags: ['courses'],
      prices: [
        { currency: 'usd', amount: 2900 },
        { currency: 'eur', amount: 2700 },
      ],
    },
  ],
  funnel: {
    slug: 'launch',
    name: 'Launch Masterclass',
    mode: 'test',
    steps: [
      {
        slug: 'sales',
        kind: 'sales',
        content: {
          headline: 'Launch your product without the chaos',
          subheadline: 'The Launch Masterclass: eight lessons, one clear plan.',
          body: 'Most launches fail for **boring reasons**: no plan, no list, no follow-up.\n\nThis course fixes all three.',
          bullets: [
            'Plan the launch week by week',
            'Price with confidence',
            'Write emails that get opened',
          ],
          testimonials: [
            {
              quote: 'Our best launch yet, and the calmest.',
              author: 'Dana K.',
              role: 'Course creator',
            },
          ],
          guarantee: { days: 30, text: 'Try the whole course. Not for you? Full refund.' },
          trustBadges: true,
          buttonText: 'Get the Masterclass',
        },
      },
      {
        slug: 'order',
        kind: 'order',
        product: 'course',
        bump: 'checklist',
        content: {
          headline: 'Get the Launch Masterclass',
          guarantee: {
            days: 30,
            text: 'Not for you? Email us within 30 days and get every cent back.',
          },
          trustBadges: true,
          consent: 'If I don’t finish paying, email me once with a link back to my order.',
        },
      },
      {
        slug: 'coaching',
        kind: 'upsell',
        product: 'coaching',
        content: {
          headline: 'Wait: want us to review your plan?',
          body: 'Add three live group coaching calls. One click, no need to enter your card again.',
          buttonText: 'Yes, add coaching',
          trustBadges: true,
        },
      },
      {
        slug: 'templates',
        kind: 'downsell',
        product: 'templates',
        content: {
          headline: 'Then take the email templates',
          body: 'The twelve emails from the course, ready to fill in.',
          buttonText: 'Yes, add the templates',
          trustBadges: true,
        },
      },
      {
        slug: 'thanks',
        kind: 'thankyou',
        content: {
          headline: 'Thank you! You are in.',
          body: 'Your receipt is on its way. The first lesson is waiting in your inbox.',
          trustBadges: false,
        },
      },
    ],
  },
};
