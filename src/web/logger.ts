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

export function createLogger(options: {
  level: string;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'switchyard' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    options.destination,
  );
}
