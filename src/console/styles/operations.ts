/** Rules for the operations screens only, appended to the console's stylesheet. */
export const operationsStyles = `.ops td{overflow-wrap:normal}
@media (max-width:699px){.ops th,.ops td{padding:.5rem}}
.figure{font-weight:700;font-variant-numeric:tabular-nums;white-space:nowrap}
ul.changes{list-style:none;margin:0 0 1rem;padding:0}
ul.changes li{padding:.5rem 0;border-top:1px solid #e8ebf0}
ul.changes li:first-child{border-top:0;padding-top:0}
ul.findings,ol.findings{list-style:none;margin:0 0 1rem;padding:0}
ul.findings li{padding:.6rem 0;border-top:1px solid #e8ebf0}
ul.findings li:first-child{border-top:0;padding-top:0}
li.finding{background:#fff;border:1px solid #dfe3ea;border-left-width:4px;border-radius:8px;padding:.75rem 1rem;margin:0 0 .75rem}
li.finding.fail{border-left-color:#b42318}
li.finding.warn{border-left-color:#c99700}
li.finding h3{margin:0 0 .4rem}
li.finding p{margin:0 0 .4rem}
li.finding .code-name{font-size:.8125rem;margin:0}
details.passes summary{cursor:pointer;font-weight:600}
details.passes ul{margin:.75rem 0 0;padding-left:1.25rem}
details.passes li{margin:0 0 .35rem}
.doctor-run .field{margin-bottom:.75rem}
.tx-filters h2{margin-top:0}
.tx-filter-grid{display:grid;gap:0 1rem;grid-template-columns:1fr}
.tx-filter-grid .field{margin-bottom:.75rem}
.log-head h2{margin:0;margin-right:auto}
.test-results ul{margin:0;padding-left:1.25rem}
@media (min-width:700px){.tx-filter-grid{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (min-width:1100px){.tx-filter-grid{grid-template-columns:repeat(4,minmax(0,1fr))}}`;
