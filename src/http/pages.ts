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

/** A small self-contained page that tells a person what happened and what to do next. */
export function renderNoticePage(input: {
  title: string;
  message: string;
  tone: 'success' | 'problem';
  details?: string[];
}): string {
  const colour = input.tone === 'success' ? '#0a7d38' : '#b42318';
  const details = (input.details ?? []).map((line) => `<li>${escapeHtml(line)}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)} · Switchyard</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2433}
main{max-width:34rem;margin:3rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002}
h1{font-size:1.3rem;margin:0 0 .75rem;color:${colour}}
li{margin:.25rem 0}
</style>
</head>
<body><main role="main"><h1>${escapeHtml(input.title)}</h1><p>${escapeHtml(input.message)}</p>${details ? `<ul>${details}</ul>` : ''}</main></body>
</html>`;
}
