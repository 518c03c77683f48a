/** Rules for the routing screens only, appended to the console's stylesheet. */
export const routingStyles = `.routing-layout{display:grid;gap:0 1rem;grid-template-columns:minmax(0,1fr)}
.routing-fields{display:grid;gap:0 1rem;grid-template-columns:minmax(0,1fr)}
.routing-form fieldset{min-width:0}
.routing-fields .field.check{grid-column:1/-1}
#versions .table-wrap,.simulation .table-wrap{position:relative}
#versions table{min-width:44rem}
#versions .button{white-space:nowrap}
.routing-form select{min-width:0;max-width:100%}
.routing-form fieldset.rule,.routing-form fieldset.pin{background:#fbfcfd}
.routing-form fieldset .buttons{margin:0}
.conditions-title{margin:.25rem 0 .75rem;font-weight:600;color:#3d4657}
.pin-group+.pin-group{margin-top:1rem}
.health-overrides,.usage-overrides{margin:0 0 1rem}
.health-overrides summary,.usage-overrides summary{cursor:pointer;font-weight:600;margin-bottom:.5rem}
.split-pick{padding:.4rem .6rem;background:#eef4ff;border:1px solid #b8cdf0;border-radius:6px;color:#1f3763}
.simulation{border-top:1px solid #dfe3ea;padding-top:.75rem}
.decision-head{font-size:1.05rem}
.saved-differs{padding:.4rem .6rem;background:#fff4ce;border:1px solid #e0c766;border-radius:6px;color:#5c4300}
.explanation{padding-left:1.25rem}
.routing-warnings{margin:0 0 1rem;padding:.5rem .75rem;background:#f8f9fb;border:1px solid #dfe3ea;border-radius:6px}
.routing-diff{list-style:none;padding:0}
.routing-diff li{padding:.4rem .6rem;border-radius:6px;margin:0 0 .35rem;border:1px solid #dfe3ea}
.routing-diff .diff-word{display:inline-block;min-width:5.5rem;font-weight:700}
.routing-diff .diff-add{border-color:#8fd0a5}
.routing-diff .diff-del{border-color:#f1a9a0}
.routing-diff .diff-change{background:#fff8e1;border-color:#e0c766}
.routing-diff .diff-note{color:#4a5365}
@media (min-width:700px){.routing-fields{grid-template-columns:repeat(auto-fill,minmax(14rem,1fr))}}
@media (min-width:1200px){.routing-layout{grid-template-columns:minmax(0,3fr) minmax(0,2fr)}.routing-side .simulator .routing-fields{grid-template-columns:repeat(2,minmax(0,1fr))}}
`;
