import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Header and field names that may carry a secret. Redaction is the last line of defence; code
 * should never hand a secret to the logger in the first place.
 */
const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'headers.authorization',
  'secretKey',
  'apiKey',
  '*.secretKey',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
];

/**
 * Query parameters whose value is a secret or opens something: Stripe's client secrets (Stripe.js
 * puts `payment_intent_client_secret` in the return URL), OAuth's `code` and `state`, and
 * anything named like a secret, token, key, password, signature or session.
 */
const secretParameter = /secret|token|key|password|signature|session|^code$|^state$/i;

/** The request URL with the value of every secret-bearing query parameter replaced. */
function urlForLog(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const separator = pair.indexOf('=');
      if (separator === -1) return pair;
      return secretParameter.test(decodedName(pair.slice(0, separator)))
        ? `${pair.slice(0, separator)}=[redacted]`
        : pair;
    });
  return `${url.slice(0, queryStart)}?${query.join('&')}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's own request serializer, with the URL's secrets redacted. */
function requestForLog(request: LoggedRequest) {
  return {
    method: request.method,
    url: urlForLog(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

export function createLogger(options: {
  level: string;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'switchyard' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      // Fastify keeps a logger's own serializers over its defaults.
      serializers: { req: requestForLog },
    },
    options.destination,
  );
}
