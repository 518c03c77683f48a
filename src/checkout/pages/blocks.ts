import MarkdownIt from 'markdown-it';
import type { StepContent } from '../../catalog/catalog.schema.js';
import { escapeHtml } from '../../http/pages.js';
import {
  cardIcon,
  checkIcon,
  guaranteeSealIcon,
  lockIcon,
  shieldCheckIcon,
  starRowIcon,
} from './icons.js';

/**
 * The merchant's content blocks as HTML. Everything the merchant wrote is escaped; the body is
 * Markdown without raw HTML, so no merchant text can add a script or an event handler.
 */

export interface ContentOptions {
  /** Shown as the headline when the merchant wrote none, e.g. the offer's name. */
  headline?: string;
  /**
   * The page's own button or form, placed where a visitor expects it: after the headline
   * (`intro`), or after the pitch (image, video, body, bullets; the default).
   */
  action?: { html: string; after?: 'intro' | 'pitch' };
  /** The page is served over https: only then may a badge say "SSL secured". */
  secure?: boolean;
}

/** The blocks in three groups, for pages that lay them out around a form of their own. */
export interface ContentSections {
  /** Headline (the page's one h1) and subheadline. */
  intro: string;
  /** Image, video, body, bullets. */
  pitch: string;
  /** Testimonials, guarantee, trust badges. */
  proof: string;
}

export function renderContent(content: StepContent, options: ContentOptions = {}): string {
  const { intro, pitch, proof } = contentSections(content, options);
  const action = options.action;
  if (!action) return join([intro, pitch, proof]);
  return action.after === 'intro'
    ? join([intro, action.html, pitch, proof])
    : join([intro, pitch, action.html, proof]);
}

export function contentSections(
  content: StepContent,
  options: Pick<ContentOptions, 'headline' | 'secure'> = {},
): ContentSections {
  const headline = content.headline || options.headline;
  return {
    intro: join([
      headline ? `<h1>${escapeHtml(headline)}</h1>` : '',
      content.subheadline ? `<p class="sub">${escapeHtml(content.subheadline)}</p>` : '',
    ]),
    pitch: join([
      content.image ? `<img class="hero" src="${escapeHtml(content.image)}" alt="">` : '',
      content.video ? renderVideo(content.video, headline) : '',
      content.body ? `<div class="body">${markdown.render(content.body)}</div>` : '',
      renderBullets(content.bullets ?? []),
    ]),
    proof: join([
      (content.testimonials ?? []).map(renderTestimonial).join('\n'),
      content.guarantee ? renderGuarantee(content.guarantee) : '',
      content.trustBadges
        ? renderTrustBadges(content.guarantee !== undefined, options.secure === true)
        : '',
    ]),
  };
}

function join(parts: string[]): string {
  return parts.filter((part) => part !== '').join('\n');
}

function renderVideo(url: string, headline: string | undefined): string {
  const title = headline ? `Video: ${headline}` : 'Video';
  // The sandbox lets a player run but never navigate this page or open pop-ups over the checkout.
  return `<div class="video"><iframe src="${escapeHtml(url)}" title="${escapeHtml(title)}" sandbox="allow-scripts allow-same-origin allow-presentation" allow="fullscreen; picture-in-picture" allowfullscreen loading="lazy"></iframe></div>`;
}

function renderBullets(bullets: string[]): string {
  if (bullets.length === 0) return '';
  const items = bullets.map((bullet) => `<li>${checkIcon}<span>${escapeHtml(bullet)}</span></li>`);
  return `<ul class="bullets">\n${items.join('\n')}\n</ul>`;
}

type Testimonial = NonNullable<StepContent['testimonials']>[number];

function renderTestimonial(testimonial: Testimonial): string {
  const photo = testimonial.image
    ? `<img src="${escapeHtml(testimonial.image)}" alt="" loading="lazy" width="40" height="40">`
    : '';
  const role = testimonial.role ? `, ${escapeHtml(testimonial.role)}` : '';
  return `<figure class="testimonial"><div class="stars">${starRowIcon}</div><blockquote><p>${escapeHtml(testimonial.quote)}</p></blockquote><figcaption>${photo}<span><strong>${escapeHtml(testimonial.author)}</strong>${role}</span></figcaption></figure>`;
}

function renderGuarantee(guarantee: NonNullable<StepContent['guarantee']>): string {
  const heading = guarantee.days
    ? `${guarantee.days}-day money-back guarantee`
    : 'Money-back guarantee';
  return `<section class="guarantee">${guaranteeSealIcon}<div><h2>${heading}</h2><p>${escapeHtml(guarantee.text)}</p></div></section>`;
}

function renderTrustBadges(hasGuarantee: boolean, secure: boolean): string {
  const badges = [
    secure ? `<li>${lockIcon}SSL secured</li>` : '',
    `<li>${cardIcon}Payments by Stripe</li>`,
    hasGuarantee ? `<li>${shieldCheckIcon}Money-back guarantee</li>` : '',
  ];
  return `<ul class="badges" aria-label="Safe checkout">${badges.join('')}</ul>`;
}

/** Markdown as the merchant's body text: no raw HTML, safe links only, headings below the h1. */
const markdown = createMarkdown();

function createMarkdown() {
  // html: false escapes raw HTML; validateLink already refuses javascript:, vbscript:, data: links.
  const renderer = new MarkdownIt({ html: false, linkify: true });
  renderer.renderer.rules.link_open = function markLinkUntrusted(
    tokens,
    index,
    options,
    _env,
    self,
  ) {
    tokens[index]?.attrSet('rel', 'nofollow noopener');
    return self.renderToken(tokens, index, options);
  };
  renderer.core.ruler.push('headings_below_headline', function demoteHeadings(state) {
    for (const token of state.tokens) {
      if ((token.type === 'heading_open' || token.type === 'heading_close') && token.tag === 'h1') {
        token.tag = 'h2';
      }
    }
    return true;
  });
  return renderer;
}
