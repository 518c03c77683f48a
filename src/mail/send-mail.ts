import nodemailer from 'nodemailer';

/** How long one message may take to reach the mail server before it counts as failed. */
const sendTimeoutMs = 10_000;

export interface TextMail {
  smtpUrl: string;
  from: string;
  to: string | string[];
  subject: string;
  text: string;
}

/**
 * Sends one plain-text message through the SMTP server at `smtpUrl`. Throws what the server
 * answered (with the cause); the caller masks secrets before showing it.
 */
export async function sendTextMail(mail: TextMail): Promise<void> {
  const transport = nodemailer.createTransport({
    url: mail.smtpUrl,
    connectionTimeout: sendTimeoutMs,
    greetingTimeout: sendTimeoutMs,
    socketTimeout: sendTimeoutMs,
  });
  try {
    await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
    });
  } finally {
    transport.close();
  }
}
