import { createHash } from 'node:crypto';

/**
 * The one stylesheet of the visitor pages, served at /assets/checkout.css. Mobile first: the base
 * rules are for a 360 px phone held in one hand; from 768 px the order form gets two columns.
 * Colours keep at least 4.5:1 contrast on their backgrounds (errors: #b42318 on white is 6.5:1).
 */
export const checkoutStylesheet = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;background:#f6f7f9;overflow-wrap:anywhere}
img,svg,iframe,video{max-width:100%}
img{height:auto}
a{color:#0b57d0}
h1,h2,h3{line-height:1.25;margin:0 0 .5em}
h1{font-size:1.75rem}
h2{font-size:1.25rem}
h3{font-size:1.0625rem}
p,ul,ol,dl,figure,blockquote,table{margin:0 0 1rem}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.icon{flex:none;vertical-align:-.2em}
.test-banner{margin:0;padding:.5rem 1rem;background:#fff4ce;border-bottom:1px solid #e0c766;color:#4d3800;font-size:.875rem;text-align:center}
.site-header{padding:.75rem 0;background:#fff;border-bottom:1px solid #e3e6ec;font-weight:700}
.site-header p{margin:0 auto;padding:0 1rem}
.site-header p,main{max-width:44rem}
main{display:block;margin:0 auto;padding:1rem}
.site-footer{padding:1.5rem 1rem 2rem;color:#5b6475;font-size:.8125rem;text-align:center}
.sub{color:#3d4657;font-size:1.125rem}
.hero{display:block;width:100%;margin:0 0 1rem;border-radius:8px}
.video{position:relative;aspect-ratio:16/9;margin:0 0 1rem}
.video iframe{position:absolute;inset:0;width:100%;height:100%;border:0;border-radius:8px}
.body img{border-radius:6px}
.bullets,.badges,.steps{padding:0;list-style:none}
.bullets li{display:flex;gap:.5rem;margin:0 0 .5rem}
.bullets .icon{margin-top:.2em;color:#0a7d38}
.testimonial{margin:0 0 1rem;padding:1rem;background:#fff;border:1px solid #e3e6ec;border-radius:8px}
.stars{display:flex;gap:2px;color:#b7791f}
.testimonial blockquote{margin:.5rem 0}
.testimonial figcaption{display:flex;align-items:center;gap:.5rem;color:#3d4657;font-size:.9375rem}
.testimonial img{width:40px;height:40px;border-radius:50%;object-fit:cover}
.guarantee{display:flex;gap:1rem;align-items:flex-start;margin:0 0 1rem;padding:1rem;background:#fff;border:2px dashed #0a7d38;border-radius:8px}
.guarantee .icon{color:#0a7d38}
.guarantee p{margin:0}
.badges{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;color:#3d4657;font-size:.875rem}
.badges li,.secure{display:flex;align-items:center;gap:.4rem}
.badges .icon,.secure .icon{color:#0a7d38}
.panel{margin:0 0 1rem;padding:1rem;background:#fff;border:1px solid #e3e6ec;border-radius:10px}
.steps{display:flex;gap:1rem;color:#5b6475;font-size:.875rem}
.steps [aria-current]{color:#1d2433;font-weight:700}
.line{display:flex;justify-content:space-between;align-items:flex-start;gap:1rem;margin:0 0 .75rem}
.line img{width:48px;height:48px;border-radius:6px;object-fit:cover}
.line span{flex:1}
.line b,.total strong{white-space:nowrap}
.line small,.bump small{display:block;color:#5b6475}
.total{display:flex;justify-content:space-between;gap:1rem;padding-top:.75rem;border-top:1px solid #e3e6ec;font-size:1.125rem;font-weight:700}
.bump{display:flex;gap:.75rem;margin:0 0 1rem;padding:.75rem;background:#fffbeb;border:2px dashed #b7791f;border-radius:8px;font-weight:400;cursor:pointer}
.bump input{flex:none;width:22px;height:22px;margin:.1rem 0 0}
.consent{display:flex;gap:.75rem;margin:0 0 1rem;font-weight:400;cursor:pointer}
.consent input{flex:none;width:22px;height:22px;margin:0}
.contact{display:flex;justify-content:space-between;align-items:flex-start;gap:1rem}
.contact dl{min-width:0;margin:0 0 1rem}
.contact dt{color:#5b6475;font-size:.875rem}
.contact dd{margin:0 0 .5rem;font-weight:600;overflow-wrap:anywhere}
.contact a{padding:.25rem .5rem}
.currencies a,.currencies strong{display:inline-block;min-width:44px;padding:.5rem;text-align:center}
label{display:block;margin:0 0 .25rem;font-weight:600}
.field{margin:0 0 1rem}
.hint{font-weight:400;color:#5b6475}
input,select,button{font:inherit}
input[type=email],input[type=text],select{display:block;width:100%;min-height:48px;padding:.625rem .75rem;color:inherit;background:#fff;border:1px solid #8a93a6;border-radius:6px}
[aria-invalid=true]{border-color:#b42318!important;box-shadow:0 0 0 1px #b42318}
.coupon{margin:0 0 1rem}.coupon-row{display:flex;gap:.5rem}.coupon-row input{flex:1}.coupon-apply{min-height:48px;padding:0 1rem;color:#0b57d0;background:#fff;border:2px solid #0b57d0;border-radius:6px;font-weight:700;cursor:pointer}.coupon-remove .link-button{margin:-.5rem 0 .75rem auto}
.field-error{margin:.25rem 0 0;color:#b42318;font-size:.9375rem;font-weight:600}
.error-summary{margin:0 0 1rem;padding:.75rem 1rem;color:#7a1610;background:#fef3f2;border:2px solid #b42318;border-radius:8px}
.error-summary ul{margin:0;padding-left:1.25rem}
.error-summary a{color:inherit}
.button{display:block;width:100%;min-height:52px;padding:.75rem 1rem;color:#fff;background:#0a7d38;border:0;border-radius:8px;font-size:1.125rem;font-weight:700;line-height:1.3;text-align:center;text-decoration:none;cursor:pointer}
.button:hover{background:#08662e}
.button:disabled{background:#5b8f6f;cursor:progress}
.link-button{display:block;min-height:44px;margin:.75rem auto 0;padding:.5rem 1rem;color:#0b57d0;background:none;border:0;text-decoration:underline;cursor:pointer}
.notice{padding:.75rem 1rem;background:#fffbeb;border-left:4px solid #b7791f}
.price{font-size:1.5rem;font-weight:700}
#payment-element{margin:0 0 1rem}
.payment-message{margin:0 0 1rem;color:#b42318;font-weight:600}
.payment-message:empty{display:none}
.secure{justify-content:center;margin:1rem 0 0;color:#3d4657;font-size:.875rem}
table{width:100%;border-collapse:collapse}
th,td{padding:.5rem .25rem;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
td:last-child,th:last-child{text-align:right}
th,td:not(:first-child){overflow-wrap:normal;white-space:nowrap}
.order-id{color:#5b6475;font-size:.875rem}
@media (min-width:768px){
h1{font-size:2.25rem}
main{padding:2rem 1.5rem}
.site-header p{padding:0 1.5rem}
.wide .site-header p,.wide main{max-width:64rem}
.order{display:grid;grid-template-columns:minmax(0,1fr) 24rem;grid-template-rows:auto 1fr;gap:0 2.5rem;align-items:start}
.order>.checkout{grid-column:2;grid-row:1/span 2;position:sticky;top:1rem}
.actions{max-width:24rem;margin-left:auto;margin-right:auto}
}
`;

/** The stylesheet's ETag, quoted as the header wants it: it changes only when the CSS does. */
export const checkoutStylesheetEtag = `"${createHash('sha256').update(checkoutStylesheet).digest('base64url').slice(0, 16)}"`;
