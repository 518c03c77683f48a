/** Rules for the gateways screens only, appended to the console's stylesheet. */
export const gatewaysStyles = `.gw-card-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem .6rem;margin-bottom:.75rem}
.gw-card-head h2{margin:0;font-size:1.1rem}
.gw-card-head h2 a{color:inherit}
.gw-states{display:inline-flex;flex-wrap:wrap;gap:.35rem}
.gw-card dl.facts{margin-bottom:.75rem}
.gw-card .gw-buttons{margin:0;padding-top:.75rem;border-top:1px solid #e8ebf0}
.gw-buttons form{display:contents}
.gw-health{display:inline-flex;align-items:center;gap:.3rem;margin-right:.6rem;white-space:nowrap}
.gw-note{max-width:48rem}
.gw-form{max-width:40rem}
.gw-form fieldset .field:last-child{margin-bottom:0}
.gw-missing{margin:-.5rem 0 1rem;padding-left:1.25rem;color:#7a1a10}
.gw-missing code{font-size:.85em}
.gw-purpose{white-space:pre-line}
.gw-edit summary{cursor:pointer;font-weight:600;color:#0b57d0}
.gw-edit form{margin-top:.75rem}
.gw-timeline{list-style:none;margin:0 0 .5rem;padding:0}
.gw-timeline li{padding:.4rem 0;border-bottom:1px solid #e8ebf0}
.gw-timeline li:last-child{border-bottom:0}
.gw-reasons li{margin-bottom:.25rem}
.gw-secret{white-space:nowrap}
.gw-table td time,.gw-table td .badge{white-space:nowrap}
.gw-table td{min-width:6rem}
.gw-num{white-space:nowrap;font-variant-numeric:tabular-nums}
@media (min-width:1100px){.gw-columns{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem;align-items:start}}
`;
