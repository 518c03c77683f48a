const htmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character] ?? character);
}

/** The notice page's styles, served at `noticeStylesheetPath`: the pages' policy allows no inline style. */
export const noticeStylesheet = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2433}
main{max-width:34rem;margin:3rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002}
h1{font-size:1.3rem;margin:0 0 .75rem}
.success h1{color:#0a7d38}
.problem h1{color:#b42318}
li{margin:.25rem 0}
`;
export const noticeStylesheetPath = '/assets/notice.css';

/** A small page of its own that tells a person what happened and what to do next. */
export function renderNoticePage(input: {
  title: string;
  message: string;
  tone: 'success' | 'problem';
  details?: string[];
}): string {
  const details = (input.details ?? []).map((line) => `<li>${escapeHtml(line)}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)} · Switchyard</title>
<link rel="stylesheet" href="${noticeStylesheetPath}">
</head>
<body class="${input.tone}"><main role="main"><h1>${escapeHtml(input.title)}</h1><p>${escapeHtml(input.message)}</p>${details ? `<ul>${details}</ul>` : ''}</main></body>
</html>`;
}
