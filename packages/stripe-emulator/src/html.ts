/** Escapes text for HTML pages the emulator serves (OAuth, 3-D Secure, the bank's page). */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #1a1f36; }
h1 { font-size: 1.4rem; }
fieldset { border: 1px solid #d8dee4; border-radius: 6px; padding: 1rem; margin-bottom: 1rem; }
label { display: block; margin: 0.4rem 0; }
button { font-size: 1rem; padding: 0.5rem 1.2rem; margin-right: 0.5rem; border-radius: 6px; border: 1px solid #635bff; background: #635bff; color: white; cursor: pointer; }
button.secondary { background: white; color: #635bff; }
.note { color: #697386; font-size: 0.9rem; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
