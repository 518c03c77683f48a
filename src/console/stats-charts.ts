import { escapeHtml } from '../http/pages.js';

/** Bar colours with at least 3:1 contrast on white (WCAG's non-text contrast). */
const barColour = '#2f6fdb';
const paidColour = '#137a3a';
const textColour = '#1f2533';

export interface FunnelBar {
  label: string;
  visitors: number;
  /** The share of this step's visitors that reached the next step, as words ("42% go on"). */
  note: string | null;
}

/**
 * The funnel as horizontal bars, one per step, each as wide as its share of the widest. Drawn 360
 * wide, a phone's width, so its words are read at their size there.
 */
export function funnelChart(title: string, bars: FunnelBar[]): string {
  const width = 360;
  const rowHeight = 50;
  const height = bars.length * rowHeight + 4;
  const widest = Math.max(1, ...bars.map((bar) => bar.visitors));
  const rows = bars.map((bar, index) => {
    const y = index * rowHeight;
    const barWidth = Math.max(2, Math.round(((width - 130) * bar.visitors) / widest));
    return `<text x="0" y="${y + 15}" fill="${textColour}" font-size="13" font-weight="600">${escapeHtml(bar.label)}</text>
<rect x="0" y="${y + 21}" width="${barWidth}" height="20" rx="3" fill="${barColour}"/>
<text x="${barWidth + 6}" y="${y + 36}" fill="${textColour}" font-size="13">${bar.visitors.toLocaleString('en-US')}${bar.note ? ` · ${escapeHtml(bar.note)}` : ''}</text>`;
  });
  return svg(title, width, height, rows.join('\n'));
}

/** One bar per day; the days are labelled at the first, the middle and the last. */
export function dailyChart(
  title: string,
  days: Array<{ day: string; value: number }>,
  tone: 'views' | 'paid',
): string {
  const width = 360;
  const height = 150;
  const bottom = height - 22;
  const top = 16;
  const highest = Math.max(1, ...days.map((entry) => entry.value));
  const slot = (width - 34) / Math.max(1, days.length);
  const bars = days.map((entry, index) => {
    const barHeight = Math.round(((bottom - top) * entry.value) / highest);
    const x = 34 + index * slot;
    return `<rect x="${(x + slot * 0.15).toFixed(1)}" y="${bottom - barHeight}" width="${(slot * 0.7).toFixed(1)}" height="${barHeight}" fill="${tone === 'paid' ? paidColour : barColour}"><title>${escapeHtml(entry.day)}: ${entry.value}</title></rect>`;
  });
  const labelled = [0, Math.floor((days.length - 1) / 2), days.length - 1]
    .filter((index, position, all) => index >= 0 && all.indexOf(index) === position)
    .map((index) => {
      const entry = days[index];
      if (!entry) return '';
      const x = 34 + index * slot + slot / 2;
      const anchor = index === 0 ? 'start' : index === days.length - 1 ? 'end' : 'middle';
      return `<text x="${x.toFixed(1)}" y="${height - 6}" text-anchor="${anchor}" fill="${textColour}" font-size="12">${escapeHtml(shortDay(entry.day))}</text>`;
    });
  const axis = `<text x="0" y="${top + 4}" fill="${textColour}" font-size="12">${highest.toLocaleString('en-US')}</text>
<text x="0" y="${bottom}" fill="${textColour}" font-size="12">0</text>
<line x1="34" y1="${bottom}" x2="${width}" y2="${bottom}" stroke="#8a93a6"/>`;
  return svg(title, width, height, [axis, ...bars, ...labelled].join('\n'));
}

function svg(title: string, width: number, height: number, content: string): string {
  return `<figure class="chart"><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">
${content}
</svg><figcaption>${escapeHtml(title)}</figcaption></figure>`;
}

/** `2026-12-03` → `3 Dec`. */
function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
}
