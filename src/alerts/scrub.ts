/**
 * No secret leaves in an alert: whatever a message carries (Stripe's words, an audit entry, a
 * channel's error), every key, token, signing secret, webhook URL and URL password in it is
 * masked before it is queued and again before it is sent.
 */
const secretPatterns: ReadonlyArray<
  readonly [RegExp, (match: string, ...groups: string[]) => string]
> = [
  // Stripe secret, restricted and publishable keys: the prefix and the last four.
  [
    /\b((?:sk|rk|pk)_(?:test|live)_)[A-Za-z0-9]{8,}/g,
    (match, prefix) => `${prefix}…${match.slice(-4)}`,
  ],
  // Webhook signing secrets, OAuth refresh tokens and authorization codes: the prefix only.
  [/\b(whsec_|rt_|ac_)[A-Za-z0-9]{8,}/g, (_match, prefix) => `${prefix}…`],
  // Slack-style incoming webhook URLs: the path is the credential.
  [
    /\bhttps?:\/\/hooks\.slack(?:-gov)?\.com\/[^\s"'<>)]+/g,
    (match) => `${new URL(match).origin}/…${match.slice(-4)}`,
  ],
  // A password inside a URL (smtp://user:password@host).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi, (_match, head) => `${head}:…@`],
  // Bearer tokens in echoed headers.
  [/\b(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/g, (_match, head) => `${head}…`],
];

export function scrubSecrets(text: string, alsoHide: readonly string[] = []): string {
  let scrubbed = text;
  for (const secret of alsoHide) {
    if (secret.length >= 8) scrubbed = scrubbed.split(secret).join('…');
  }
  for (const [pattern, replace] of secretPatterns) {
    scrubbed = scrubbed.replace(pattern, replace as (match: string, ...rest: unknown[]) => string);
  }
  return scrubbed;
}

/** `https://hooks.slack.com/…abcd`: the host and the last four characters. */
export function maskWebhookUrl(url: string): string {
  const origin = URL.canParse(url) ? new URL(url).origin : url.slice(0, 8);
  return `${origin}/…${url.slice(-4)}`;
}

/** `smtp://alerts:…@mail.example.com:587`: everything but the password. */
export function maskSmtpUrl(url: string): string {
  if (!URL.canParse(url)) return 'smtp://…';
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = 'xxxxx';
  return parsed.toString().replace(':xxxxx@', ':…@').replace(/\/$/, '');
}
