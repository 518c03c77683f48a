import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Vault } from '../accounts/vault.js';
import { scrubSecrets } from '../alerts/scrub.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import { sendTextMail } from '../mail/send-mail.js';
import {
  claimRecoveryEmail,
  isStillUnpaid,
  listRecoveryCandidates,
  markRecoveryEmailSent,
  type RecoveryCandidate,
  saveConsent,
} from './recovery.repository.js';

/** How long the link in a recovery email brings the buyer back to their order. */
export const recoveryLinkHours = 72;

const linkPurpose = 'checkout-recovery';

/** What one run of the recovery job did. */
export interface RecoveryRun {
  sent: number;
  /** Paid (or being paid) between the list and the claim: no email. */
  paid: number;
  /** Claimed, and the mail server refused or could not be reached: never sent again. */
  failed: Array<{ orderId: string; message: string }>;
  /** Why nothing was tried, when no mail server is set. */
  off: string | null;
}

/**
 * The one recovery email an abandoned checkout may get, when its buyer ticked the merchant's
 * consent checkbox: claimed before sending so it goes out once across instances, never after a
 * payment, with a signed link that expires.
 */
export interface Recovery {
  /** The buyer's answer on the contact form: the words they agreed to, or null (unticked). */
  recordConsent(consent: {
    workspaceId: string;
    orderId: string;
    step: string;
    wording: string | null;
  }): Promise<void>;
  sendDue(workspaceId: string): Promise<RecoveryRun>;
  /** The order a recovery link opens, or why it opens none. */
  openLink(token: string): { orderId: string } | { problem: 'expired' | 'invalid' };
}

export interface RecoveryDependencies {
  db: Kysely<Database>;
  clock: Clock;
  vault: Pick<Vault, 'sign'>;
  config: Pick<Config, 'abandonedAfterMinutes' | 'buyerMail' | 'publicUrl'>;
}

export function createRecovery(deps: RecoveryDependencies): Recovery {
  const { db, clock, vault, config } = deps;

  function tokenFor(orderId: string, expires: number): string {
    return `${orderId}.${expires}.${vault.sign(linkPurpose, `${orderId}.${expires}`)}`;
  }

  function linkFor(candidate: RecoveryCandidate, now: Date): string {
    const expires = Math.floor(now.getTime() / 1000) + recoveryLinkHours * 3600;
    const path = `/f/${encodeURIComponent(candidate.funnel)}/${encodeURIComponent(candidate.step)}/resume`;
    return `${config.publicUrl}${path}?token=${encodeURIComponent(tokenFor(candidate.orderId, expires))}`;
  }

  return {
    async recordConsent(consent) {
      await saveConsent(db, { ...consent, at: clock().toISOString() });
    },

    async sendDue(workspaceId) {
      const run: RecoveryRun = { sent: 0, paid: 0, failed: [], off: null };
      const mail = config.buyerMail;
      if (!mail) {
        run.off =
          'No mail server for buyers: set SMTP_URL and EMAIL_FROM (or the alerts’ ALERT_SMTP_URL and ALERT_EMAIL_FROM).';
        return run;
      }
      const now = clock();
      const candidates = await listRecoveryCandidates(db, workspaceId, {
        startedBefore: new Date(
          now.getTime() - config.abandonedAfterMinutes * 60_000,
        ).toISOString(),
        // Past the link's lifetime an email would bring nobody back.
        startedAfter: new Date(now.getTime() - recoveryLinkHours * 3_600_000).toISOString(),
      });
      for (const candidate of candidates) {
        const at = clock().toISOString();
        if (!(await claimRecoveryEmail(db, { workspaceId, orderId: candidate.orderId, at })))
          continue;
        // Claimed first, then checked: a payment landing before the claim is seen here; one
        // landing after it is a buyer who came back anyway, and the email says nothing untrue.
        if (!(await isStillUnpaid(db, candidate.orderId))) {
          run.paid += 1;
          continue;
        }
        try {
          await sendTextMail({
            smtpUrl: mail.smtpUrl,
            from: mail.from,
            to: candidate.email,
            subject: 'Your order is waiting for you',
            text: recoveryText(candidate, linkFor(candidate, now)),
          });
          await markRecoveryEmailSent(db, candidate.orderId, clock().toISOString());
          run.sent += 1;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          run.failed.push({ orderId: candidate.orderId, message: scrubSecrets(message) });
        }
      }
      return run;
    },

    openLink(token) {
      const [orderId, expiresText, signature] = token.split('.');
      if (!orderId || !expiresText || !signature || !/^\d+$/.test(expiresText)) {
        return { problem: 'invalid' };
      }
      const expected = Buffer.from(vault.sign(linkPurpose, `${orderId}.${expiresText}`));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { problem: 'invalid' };
      }
      if (Number(expiresText) * 1000 <= clock().getTime()) return { problem: 'expired' };
      return { orderId };
    },
  };
}

function recoveryText(candidate: RecoveryCandidate, link: string): string {
  return [
    `Hi ${candidate.name},`,
    '',
    'You started an order and did not finish paying. It is kept for you: this link takes you back to the payment step, with your details filled in.',
    '',
    link,
    '',
    `The link works for ${recoveryLinkHours / 24} days. You get this email once, because you asked for it on the order form; nothing has been charged.`,
  ].join('\n');
}
