/** Rules for the product and funnel screens only, appended to the console's stylesheet. */
export const catalogStyles = `.catalog-form{max-width:48rem}
.funnel-steps td,.funnel-steps th{white-space:nowrap;overflow-wrap:normal;word-break:normal}
.funnel-steps td .hint{display:block}
.price-row{display:grid;grid-template-columns:1fr 1fr;gap:0 .75rem;align-items:end}
.step-editor{display:grid;gap:1rem;grid-template-columns:minmax(0,1fr)}
.step-editor .step-form{max-width:none}
.preview-frames{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.preview-frames figure{margin:0;max-width:100%}
.preview-frames figcaption{font-size:.875rem;font-weight:600;margin-bottom:.25rem}
.frame-box{border:1px solid #8a93a6;border-radius:6px;overflow:auto;max-width:100%;background:#fff}
.preview-phone iframe{display:block;width:390px;height:700px;border:0}
.preview-desktop .frame-box{width:640px;height:400px;overflow:hidden}
.frame-scale{width:1280px;height:800px;transform:scale(.5);transform-origin:0 0}
.frame-scale iframe{display:block;width:1280px;height:800px;border:0}
@media (min-width:1500px){.step-editor{grid-template-columns:minmax(0,1fr) auto}}`;
