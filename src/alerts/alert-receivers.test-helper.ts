import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** What a receiver got: the subject line and the whole text as a person would read it. */
export interface Received {
  subject: string;
  text: string;
  /** Mail only: the envelope's recipients. */
  to?: string[];
}

/**
 * A local Slack-compatible incoming webhook: it keeps every `{text}` posted to its secret path,
 * and answers 500 while `down` is set, as a dead webhook would.
 */
export interface SlackReceiver {
  url: string;
  messages: Received[];
  /** Every POST it answered, delivered or refused. */
  calls: number;
  down: boolean;
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const path = '/services/T0SWITCH/B0YARD/s3cretWebhookPath42';
  const receiver: SlackReceiver = {
    url: '',
    messages: [],
    calls: 0,
    down: false,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += String(chunk);
    });
    request.on('end', () => {
      receiver.calls += 1;
      if (request.method !== 'POST' || request.url !== path) {
        response.writeHead(404).end('no_service');
        return;
      }
      if (receiver.down) {
        response.writeHead(500).end('channel_is_archived');
        return;
      }
      const { text } = JSON.parse(body) as { text: string };
      receiver.messages.push({ subject: text.split('\n')[0] ?? '', text });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return receiver;
}

/**
 * A local mail server (the `smtp-server` package) that takes mail for user `alerts` with its
 * password, and refuses every message while `down` is set.
 */
export interface MailReceiver {
  /** smtp://alerts:<password>@127.0.0.1:<port> */
  url: string;
  password: string;
  messages: Received[];
  /** Every message it was offered, taken or refused. */
  offers: number;
  down: boolean;
  close(): Promise<void>;
}

export async function startMailReceiver(): Promise<MailReceiver> {
  const password = 'smtp-Pa55word-never-shown';
  const receiver: MailReceiver = {
    url: '',
    password,
    messages: [],
    offers: 0,
    down: false,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'alerts' && auth.password === password) {
        callback(null, { user: 'alerts' });
      } else {
        callback(new Error('535 Authentication failed'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        receiver.offers += 1;
        if (receiver.down) {
          const refusal = Object.assign(new Error('Mailbox unavailable, try later'), {
            responseCode: 451,
          });
          callback(refusal);
          return;
        }
        receiver.messages.push({
          ...readMail(Buffer.concat(chunks).toString('utf8')),
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  receiver.url = `smtp://alerts:${password}@127.0.0.1:${port}`;
  return receiver;
}

/** The subject and the decoded text of a plain-text mail (quoted-printable or base64). */
function readMail(raw: string): Received {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = head.replace(/\r?\n[ \t]+/g, ' ');
  const subject = decodeHeader(/^subject: (.*)$/im.exec(headers)?.[1] ?? '');
  const body = rest.join('\n\n');
  const encoding = /^content-transfer-encoding: (\S+)/im.exec(headers)?.[1]?.toLowerCase();
  const text =
    encoding === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(body)
        : body;
  return { subject, text: `${subject}\n${text}` };
}

function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let index = 0; index < joined.length; index += 1) {
    const hex = joined.slice(index + 1, index + 3);
    if (joined[index] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(joined[index] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=` or `=?UTF-8?B?…?=`), as nodemailer writes them. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_match, kind: string, word: string) =>
      kind.toLowerCase() === 'b'
        ? Buffer.from(word, 'base64').toString('utf8')
        : decodeQuotedPrintable(word.replace(/_/g, ' ')),
    );
}

/**
 * One Slack receiver and one mail server for a whole test file, up and empty at the start of each
 * test. Call at the top level of the file.
 */
export function useAlertReceivers(): { slack: SlackReceiver; mail: MailReceiver } {
  const receivers = {} as { slack: SlackReceiver; mail: MailReceiver };
  beforeAll(async () => {
    receivers.slack = await startSlackReceiver();
    receivers.mail = await startMailReceiver();
  });
  afterAll(async () => {
    await receivers.slack.close();
    await receivers.mail.close();
  });
  beforeEach(() => {
    for (const receiver of [receivers.slack, receivers.mail]) {
      receiver.messages.length = 0;
      receiver.down = false;
    }
  });
  return receivers;
}
