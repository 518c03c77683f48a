import { sendTextMail } from '../mail/send-mail.js';
import type { ChannelName } from './alerts.repository.js';
import { scrubSecrets } from './scrub.js';

/** The channels in effect: what was stored through the API or CLI, else the environment. */
export interface ChannelSettings {
  slackWebhookUrl: string | null;
  smtpUrl: string | null;
  emailFrom: string | null;
  emailTo: string[];
}

export interface AlertMessage {
  subject: string;
  body: string;
}

/** One way to reach the team. `send` throws an Error whose message says what the channel answered. */
export interface AlertChannel {
  name: ChannelName;
  send(message: AlertMessage): Promise<void>;
}

/** How long one message may take to reach a channel before it counts as failed. */
const sendTimeoutMs = 10_000;

/** The channels that are set, each ready to send. */
export function channelsOf(settings: ChannelSettings): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (settings.slackWebhookUrl) channels.push(slackChannel(settings.slackWebhookUrl));
  if (settings.smtpUrl && settings.emailFrom && settings.emailTo.length > 0) {
    channels.push(
      emailChannel({ smtpUrl: settings.smtpUrl, from: settings.emailFrom, to: settings.emailTo }),
    );
  }
  return channels;
}

/** A Slack-compatible incoming webhook: POST `{text}` as JSON, any 2xx is delivered. */
function slackChannel(url: string): AlertChannel {
  return {
    name: 'slack',
    async send(message) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: `*${message.subject}*\n${message.body}` }),
          signal: AbortSignal.timeout(sendTimeoutMs),
          redirect: 'error',
        });
      } catch (error) {
        throw new Error(`The webhook could not be reached: ${reasonOf(error)}`, { cause: error });
      }
      if (!response.ok) {
        const answer = (await response.text().catch(() => '')).slice(0, 200);
        throw new Error(
          `The webhook answered HTTP ${response.status}${answer ? `: ${answer}` : ''}`,
        );
      }
    },
  };
}

function emailChannel(settings: { smtpUrl: string; from: string; to: string[] }): AlertChannel {
  return {
    name: 'email',
    async send(message) {
      try {
        await sendTextMail({
          smtpUrl: settings.smtpUrl,
          from: settings.from,
          to: settings.to,
          subject: message.subject,
          text: message.body,
        });
      } catch (error) {
        throw new Error(`The mail server refused or could not be reached: ${reasonOf(error)}`, {
          cause: error,
        });
      }
    },
  };
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return scrubSecrets(`${error.message}${cause}`);
}
