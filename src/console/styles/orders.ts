/** Rules for the orders and audit screens only, appended to the console's stylesheet. */
export const ordersStyles = `.filter-grid{display:grid;gap:0 1rem;grid-template-columns:1fr}
.filter-grid .field{margin-bottom:.75rem}
.order-filters .buttons,.audit-filter .buttons{margin:0}
.small{font-size:.8125rem}
ul.plain{list-style:none;margin:0;padding:0}
ol.explanation{margin:0 0 1rem;padding-left:1.4rem}
ol.explanation li{margin:0 0 .25rem}
.payment h3{margin-top:1.25rem}
.payment .table-wrap{margin-bottom:.75rem}
.try{padding-left:1rem;color:#4a5365}
.unsure-refund{padding:.75rem 1rem;margin:0 0 1rem;background:#fff4ce;border:1px solid #e0c766;border-radius:6px;color:#3d2f00}
.unsure-refund p{margin:0 0 .5rem}
.unsure-refund .buttons{margin:0}
.refund-form{border-top:1px solid #e8ebf0;margin-top:1.25rem;padding-top:.25rem}
.refund-form .buttons{margin:0}
.confirm-refund .lead{font-size:1.1rem;font-weight:600}
.confirm-refund .buttons{margin:0}
ul.change{list-style:none;margin:0;padding:0;font-size:.875rem}
ul.change li{margin:0 0 .2rem}
.change-field{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#4a5365;margin-right:.25rem}
ul.change del,ul.change ins{padding:0 .2rem;border-radius:3px}
ul.change del{text-decoration:line-through}
ul.change ins{text-decoration:none}
/* Visually hidden words inside a scrolling table stay inside it, not beside the page. */
.wide-table .table-wrap{position:relative}
.wide-table table{min-width:40rem}
.wide-table td{overflow-wrap:normal}
.wide-table td code,.wide-table td .small{overflow-wrap:anywhere}
.audit-table td:nth-child(2){max-width:14rem}
.audit-table td:nth-child(3){min-width:8rem}
.audit-table td:nth-child(4){min-width:10rem}
.audit-table td:last-child{min-width:18rem}
.wide-table time{white-space:nowrap}
.panel>dl.facts:last-child{margin-bottom:0}
#content>.error-summary>p:last-child,.refund-form .error-summary>p:last-child{margin-bottom:0}
.pager{justify-content:flex-start}
@media (min-width:700px){.filter-grid{grid-template-columns:repeat(3,minmax(0,1fr))}}
`;
