/** A small funnel and its products, as a merchant would write them. */

export const course = {
  slug: 'course',
  name: 'The Course',
  description: 'Eight weeks of **lessons**.',
  image: 'https://cdn.example.com/course.png',
  tags: ['courses'],
  prices: [
    { currency: 'usd', amount: 4900 },
    { currency: 'EUR', amount: 4500 },
  ],
};

export const ebook = {
  slug: 'ebook',
  name: 'The Ebook',
  tags: ['books'],
  prices: [{ currency: 'usd', amount: 900 }],
};

export const coaching = {
  slug: 'coaching',
  name: 'Coaching',
  prices: [
    { currency: 'usd', amount: 19900, type: 'recurring', interval: 'month' },
    { currency: 'jpy', amount: 29800, type: 'recurring', interval: 'month' },
  ],
};

export const launchFunnel = {
  slug: 'launch',
  name: 'Launch',
  mode: 'test',
  steps: [
    {
      slug: 'sales',
      kind: 'sales',
      content: {
        headline: 'Learn it in eight weeks',
        body: '## What you get\n\n- lessons',
        bullets: ['Lessons', 'Community'],
        video: 'https://player.example.com/embed/1',
        testimonials: [{ quote: 'Changed my work.', author: 'Ada' }],
        guarantee: { days: 30, text: 'Your money back, no questions asked.' },
        buttonText: 'Get the course',
      },
    },
    { slug: 'order', kind: 'order', product: 'course', bump: 'ebook', content: {} },
    { slug: 'coaching', kind: 'upsell', product: 'coaching', content: { trustBadges: false } },
    { slug: 'thanks', kind: 'thankyou', content: { headline: 'Thank you!' } },
  ],
};
