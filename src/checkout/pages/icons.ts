/**
 * Inline SVG icons for the visitor pages: no request, no external reference, coloured by the text
 * around them (`currentColor`). Each is decoration beside words that say the same thing, so screen
 * readers skip it (`aria-hidden`) and keyboards never stop on it (`focusable`, for old Edge).
 */

const outline =
  'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"';

function icon(size: number, shapes: string, paint = outline, width = 24): string {
  return `<svg class="icon" width="${(size * width) / 24}" height="${size}" viewBox="0 0 ${width} 24" ${paint} aria-hidden="true" focusable="false">${shapes}</svg>`;
}

export const lockIcon = icon(
  16,
  '<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>',
);

export const shieldCheckIcon = icon(
  18,
  '<path d="M12 3l8 3v6c0 4.6-3.4 8-8 9-4.6-1-8-4.4-8-9V6z"/><path d="M8.5 12l2.5 2.5 4.5-5"/>',
);

export const cardIcon = icon(
  18,
  '<rect x="2" y="5" width="20" height="14" rx="2"/><path d="M2 10h20M6 15h4"/>',
);

/** A rosette with a tick and two ribbons: the money-back guarantee seal. */
export const guaranteeSealIcon = icon(
  48,
  '<circle cx="12" cy="9" r="6.5"/><path d="M8.6 14.5 7 22l5-2.6 5 2.6-1.6-7.5"/><path d="M9.5 9.2l1.8 1.8 3.2-3.5"/>',
);

export const checkIcon = icon(18, '<path d="M5 12.5l4.5 4.5L19 7.5"/>');

const star = 'l2.8 5.8 6.4.9-4.6 4.5 1.1 6.3L12 17.3l-5.7 3 1.1-6.3-4.6-4.5 6.4-.9z';

export const starIcon = icon(16, `<path d="M12 2.8${star}"/>`, 'fill="currentColor"');

/** Five stars in one drawing, above a testimonial. */
export const starRowIcon = icon(
  16,
  `<path d="${[12, 36, 60, 84, 108].map((x) => `M${x} 2.8${star.replace('L12', `L${x}`)}`).join('')}"/>`,
  'fill="currentColor"',
  120,
);
