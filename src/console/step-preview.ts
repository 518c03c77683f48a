import type { StepInput } from '../catalog/catalog.schema.js';
import type { CatalogService, ProductView } from '../catalog/catalog.service.js';
import {
  countryNames,
  currenciesByCountry,
  currencyForCountry,
} from '../checkout/pages/countries.js';
import {
  renderContactStep,
  renderContentStep,
  renderThankYouStep,
  renderUpsellStep,
} from '../checkout/pages/step-pages.js';
import type { OfferView, PageFrame } from '../checkout/pages/views.js';
import { escapeHtml } from '../http/pages.js';

/**
 * A step as its visitors will see it, drawn by the visitor pages' own renderers from a draft
 * that need not be saved. The frames send no form and cannot navigate the console; only the pages' own scripts run (merchant text is escaped, its Markdown allows no HTML).
 */

function offerOf(product: ProductView, currency?: string): OfferView {
  const price = product.prices.find((one) => one.currency === currency) ?? product.prices[0];
  return {
    product: product.slug,
    name: product.name,
    description: product.description,
    image: product.image,
    price: price?.display ?? '',
    amount: price?.amount ?? 0,
    currency: price?.currency ?? '',
    recurring: price?.type === 'recurring',
  };
}

export async function renderStepPreview(input: {
  catalog: Pick<CatalogService, 'showProduct'>;
  workspaceId: string;
  funnel: { name: string; mode: 'test' | 'live' };
  step: StepInput;
  /** The product of the funnel's order step, for the thank-you page's sample order. */
  orderProduct: string | null;
}): Promise<string> {
  const { step, funnel } = input;
  const product = (slug: string) => input.catalog.showProduct(input.workspaceId, slug);
  const frame = (title: string): PageFrame => ({
    funnelName: funnel.name,
    mode: funnel.mode,
    title,
    secure: true,
  });
  switch (step.kind) {
    case 'sales':
    case 'optin':
      return renderContentStep({
        ...frame(step.content.headline ?? funnel.name),
        kind: step.kind,
        content: step.content,
        action: '#',
        form: step.kind === 'optin' ? { values: {}, errors: {} } : null,
      });
    case 'order': {
      const main = await product(step.product ?? '');
      const bump = step.bump ? await product(step.bump) : null;
      const currencies = main.prices.map((price) => price.currency);
      const currency = currencyForCountry('', currencies);
      return renderContactStep({
        ...frame(step.content.headline ?? main.name),
        content: step.content,
        offer: offerOf(main, currency),
        bump: bump ? offerOf(bump, currency) : null,
        action: '#',
        form: { values: {}, errors: {} },
        countries: countryNames(),
        prices: {
          byCurrency: Object.fromEntries(
            currencies.map((one) => [
              one,
              { offer: offerOf(main, one).price, bump: bump ? offerOf(bump, one).price : null },
            ]),
          ),
          ...currenciesByCountry(currencies),
        },
      });
    }
    case 'upsell':
    case 'downsell': {
      const offered = await product(step.product ?? '');
      return renderUpsellStep({
        ...frame(step.content.headline ?? offered.name),
        kind: step.kind,
        content: step.content,
        offer: offerOf(offered),
        acceptAction: '#',
        declineAction: '#',
        card: null,
        notice: null,
      });
    }
    case 'thankyou': {
      const bought = input.orderProduct ? offerOf(await product(input.orderProduct)) : null;
      return renderThankYouStep({
        ...frame(step.content.headline ?? 'Thank you'),
        content: step.content,
        lines: bought ? [{ name: bought.name, price: bought.price, status: 'paid' }] : [],
        totals: bought ? [bought.price] : [],
        receiptEmail: 'buyer@example.com',
        orderId: null,
      });
    }
  }
}

/** The preview at a phone's width and at a laptop's, side by side where there is room. */
export function renderPreviewFrames(html: string, label: string): string {
  const doc = escapeHtml(html);
  return `<section class="panel step-preview" id="preview" aria-label="Preview">
<h2>Preview</h2>
<p class="hint">${escapeHtml(label)} Drawn by the same code as the visitor's page; its forms send nothing here.</p>
<div class="preview-frames">
<figure class="preview-phone"><figcaption>Phone, 390 px</figcaption><div class="frame-box" role="region" aria-label="Phone preview, scrolls sideways on a small screen" tabindex="0"><iframe title="Preview at phone width" sandbox="allow-same-origin allow-scripts" srcdoc="${doc}"></iframe></div></figure>
<figure class="preview-desktop"><figcaption>Desktop, 1280 px (shown at half size)</figcaption><div class="frame-box"><div class="frame-scale"><iframe title="Preview at desktop width" sandbox="allow-same-origin allow-scripts" srcdoc="${doc}"></iframe></div></div></figure>
</div>
</section>`;
}
