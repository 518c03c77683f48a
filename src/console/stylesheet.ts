import { createHash } from 'node:crypto';
import { catalogStyles } from './styles/catalog.js';
import { gatewaysStyles } from './styles/gateways.js';
import { operationsStyles } from './styles/operations.js';
import { ordersStyles } from './styles/orders.js';
import { peopleStyles } from './styles/people.js';
import { routingStyles } from './styles/routing.js';
import { statsStyles } from './styles/stats.js';

/**
 * The console's one stylesheet, at /admin/assets/console.css. Mobile first: at 390 px the menu
 * folds into a "Menu" disclosure and tables scroll sideways; from 960 px a sidebar holds the
 * menu. Text colours keep at least 4.5:1 contrast on their backgrounds.
 */
const baseStyles = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;background:#f4f5f7;overflow-wrap:anywhere}
a{color:#0b57d0}
h1,h2,h3{line-height:1.25;margin:0 0 .5em}
h1{font-size:1.5rem}
h2{font-size:1.15rem;margin-top:1.5rem}
h3{font-size:1rem}
p,ul,ol,dl,table{margin:0 0 1rem}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875em}
pre{white-space:pre-wrap;background:#fff;border:1px solid #dfe3ea;border-radius:6px;padding:.75rem;overflow:auto}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.visually-hidden{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:0}
.topbar{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.5rem 1rem;background:#14213d;color:#fff}
.topbar a{color:#fff}
.brand{font-weight:700;font-size:1.05rem;text-decoration:none;margin:0}
.topbar .brand{margin-right:auto}
.menu{order:3;width:100%}
.menu summary{cursor:pointer;padding:.35rem 0;font-weight:600;list-style-position:inside}
.menu ul,.sidebar ul{list-style:none;margin:0;padding:0}
.menu a{display:block;padding:.5rem .25rem;text-decoration:none;border-top:1px solid #2c3b5e}
.menu a[aria-current=page]{font-weight:700;text-decoration:underline}
.who{display:flex;align-items:center;gap:.75rem;font-size:.875rem}
.who form{margin:0}
.role{display:inline-block;padding:0 .4rem;border-radius:4px;background:#2c3b5e;font-size:.75rem;text-transform:uppercase;letter-spacing:.03em}
.topbar .link{color:#fff}
.sidebar{display:none}
.frame{display:block}
main{display:block;max-width:72rem;padding:1rem;margin:0 auto}
.crumbs ol{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;padding:0;margin:0 0 .5rem;font-size:.875rem;color:#4a5365}
.crumbs li+li::before{content:"›";margin-right:.25rem}
.page-head{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;margin-bottom:1rem}
.page-head h1{margin:0;margin-right:auto}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}
.notice{padding:.6rem .9rem;background:#e7f6ec;border:1px solid #8fd0a5;border-radius:6px;color:#0b4d24}
.error-summary{padding:.75rem 1rem;margin:0 0 1rem;background:#fdecea;border:1px solid #f1a9a0;border-radius:6px;color:#7a1a10}
.error-summary ul{margin:.25rem 0 0;padding-left:1.25rem}
.error-summary a{color:#7a1a10}
.panel{background:#fff;border:1px solid #dfe3ea;border-radius:8px;padding:1rem;margin:0 0 1rem}
.panel>h2:first-child{margin-top:0}
.grid{display:grid;gap:1rem;grid-template-columns:1fr}
.stat{background:#fff;border:1px solid #dfe3ea;border-radius:8px;padding:.75rem 1rem}
.stat .value{display:block;font-size:1.4rem;font-weight:700}
.stat .label{color:#4a5365;font-size:.875rem}
dl.facts{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.35rem 1rem}
dl.facts dt{color:#4a5365}
dl.facts dd{margin:0}
.field{margin:0 0 1rem}
.field label{display:block;font-weight:600;margin-bottom:.25rem}
.field.check{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
.field.check label{margin:0;font-weight:500}
.field.check .hint,.field.check .field-error{width:100%}
.hint{margin:0 0 .3rem;color:#4a5365;font-size:.875rem}
.field-error{margin:0 0 .3rem;color:#b42318;font-weight:600;font-size:.9rem}
.has-error input,.has-error select,.has-error textarea{border-color:#b42318;border-width:2px}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=url],input[type=search],input[type=date],input[type=datetime-local],select,textarea{display:block;width:100%;max-width:36rem;padding:.5rem .6rem;font:inherit;color:inherit;background:#fff;border:1px solid #8a93a6;border-radius:6px}
textarea{max-width:100%;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem}
input[type=checkbox]{width:1.15rem;height:1.15rem}
fieldset{border:1px solid #dfe3ea;border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem}
legend{font-weight:700;padding:0 .25rem}
.button,button{display:inline-flex;align-items:center;justify-content:center;gap:.35rem;min-height:2.5rem;padding:.45rem .9rem;font:inherit;font-weight:600;border-radius:6px;border:1px solid #8a93a6;background:#fff;color:#1d2433;cursor:pointer;text-decoration:none}
.button.primary,button.primary{background:#0b57d0;border-color:#0b57d0;color:#fff}
.button.danger,button.danger{background:#b42318;border-color:#b42318;color:#fff}
button.link{min-height:0;padding:0;border:0;background:none;text-decoration:underline;font-weight:500}
form.inline{display:inline}
.buttons{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0 0 1rem}
.table-wrap{position:relative;overflow-x:auto;background:#fff;border:1px solid #dfe3ea;border-radius:8px;margin:0 0 1rem}
table{border-collapse:collapse;width:100%;margin:0}
th,td{padding:.5rem .75rem;text-align:left;vertical-align:top;border-bottom:1px solid #e8ebf0}
th{font-size:.8125rem;color:#4a5365;background:#f8f9fb;white-space:nowrap}
tbody tr:last-child td{border-bottom:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.empty{padding:1rem;background:#fff;border:1px dashed #b7bfcc;border-radius:8px;color:#4a5365}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:999px;font-size:.8125rem;font-weight:600;white-space:nowrap;border:1px solid}
.badge.ok{background:#e7f6ec;color:#0b4d24;border-color:#8fd0a5}
.badge.warn{background:#fff4ce;color:#5c4300;border-color:#e0c766}
.badge.fail{background:#fdecea;color:#8a1c12;border-color:#f1a9a0}
.badge.muted{background:#eef0f4;color:#3d4657;border-color:#c9ced8}
.badge.info{background:#e8f0fe;color:#0b3f99;border-color:#a8c3f5}
.muted{color:#4a5365}
.diff-add{background:#e7f6ec}
.diff-del{background:#fdecea}
body.welcome{display:flex;min-height:100vh;align-items:flex-start;justify-content:center;padding:2rem 1rem}
.card{width:100%;max-width:26rem;background:#fff;border:1px solid #dfe3ea;border-radius:12px;padding:1.5rem;margin:0}
.card .brand{color:#14213d;margin-bottom:1rem}
.card input{max-width:none}
.card button{width:100%}
@media (min-width:700px){.grid{grid-template-columns:repeat(auto-fit,minmax(14rem,1fr))}main{padding:1.5rem}}
@media (min-width:960px){
.menu{display:none}
.frame{display:grid;grid-template-columns:13rem 1fr;min-height:calc(100vh - 3rem)}
.sidebar{display:block;background:#fff;border-right:1px solid #dfe3ea;padding:1rem .5rem}
.sidebar a{display:block;padding:.45rem .75rem;border-radius:6px;color:#1d2433;text-decoration:none}
.sidebar a:hover{background:#eef2fb}
.sidebar a[aria-current=page]{background:#e8f0fe;color:#0b3f99;font-weight:700}
main{margin:0;width:100%;min-width:0}
}
`;

export const consoleStylesheet = [
  baseStyles,
  peopleStyles,
  gatewaysStyles,
  routingStyles,
  ordersStyles,
  operationsStyles,
  statsStyles,
  catalogStyles,
].join('\n');

export const consoleStylesheetEtag = `"${createHash('sha256').update(consoleStylesheet).digest('base64url').slice(0, 16)}"`;

/** The tab icon: a switch of tracks, in the brand's navy. */
export const consoleIconSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#14213d"/><path d="M7 24 16 8l9 16M11 17h10" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
