/** Rules for the people screens only, appended to the console's stylesheet. */
export const peopleStyles = `/* A screen-reader-only label in a table cell is placed within the scrolling table, not the page. */
.table-wrap{position:relative}
.people-list td,.people-list th{white-space:nowrap;overflow-wrap:normal;word-break:normal}
.role-form{display:flex;flex-wrap:nowrap;gap:.4rem;align-items:center;margin:0}
.role-form select{width:auto;min-width:7rem}
.row-actions{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.invite-link input{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem;max-width:none}
details.panel summary{cursor:pointer;font-weight:600}`;
