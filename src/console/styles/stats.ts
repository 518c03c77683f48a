/** Rules for the funnel stats screen only, appended to the console's stylesheet. */
export const statsStyles = `.charts{display:grid;gap:1rem;grid-template-columns:1fr;margin:0 0 1rem}
.chart{margin:0;padding:.75rem;background:#fff;border:1px solid #dfe3ea;border-radius:8px}
.chart svg{display:block;width:100%;height:auto;max-width:24rem}
.chart figcaption{margin-top:.5rem;font-size:.875rem;color:#4a5365}
.stats-table th,.stats-table td{white-space:nowrap;word-break:normal;overflow-wrap:normal}
.stats-period{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:flex-end}
.stats-period .field{margin-bottom:.75rem}
.stats-period .buttons{margin:0 0 .75rem}
@media (min-width:960px){.charts{grid-template-columns:1fr 1fr}.charts .wide{grid-column:1/span 2}}
`;
