import { z } from 'zod';
import type { Vault } from '../accounts/vault.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { StoredAlertSettings } from './alerts.repository.js';
import type { ChannelSettings } from './channels.js';
import { maskSmtpUrl, maskWebhookUrl } from './scrub.js';

const emailAddress = z.string().trim().email('needs an email address such as alerts@example.com');

/** What `PUT /api/alerts` and `switchyard alerts set` take; null removes a stored value. */
export const alertSettingsChangesSchema = z
  .object({
    slackWebhookUrl: z
      .string()
      .trim()
      .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
        message: 'needs the http(s) URL of a Slack-compatible incoming webhook',
      })
      .nullable()
      .optional(),
    smtpUrl: z
      .string()
      .trim()
      .refine((value) => /^smtps?:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
        message: 'needs smtp://user:password@host:port or smtps://…',
      })
      .nullable()
      .optional(),
    emailFrom: emailAddress.nullable().optional(),
    emailTo: z
      .array(emailAddress)
      .min(1, 'needs at least one email address')
      .max(50, 'takes at most 50 addresses')
      .nullable()
      .optional(),
    warnings: z.boolean().nullable().optional(),
    digest: z.boolean().nullable().optional(),
  })
  .strict();

export type AlertSettingsChanges = z.infer<typeof alertSettingsChangesSchema>;

export type SettingSource = 'stored' | 'environment';

/** The channels as shown to the merchant: secrets masked, and where each value comes from. */
export interface AlertSettingsView {
  slack: { webhookUrl: string | null; source: SettingSource | null };
  email: {
    smtpUrl: string | null;
    from: string | null;
    to: string[];
    source: SettingSource | null;
    /** The fields email still needs before it can send, empty when it can. */
    missing: string[];
  };
  /** Warnings are sent too, not only failures. */
  warnings: boolean;
  /** A digest of the day's changes and findings, once a day. */
  digest: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** The settings in effect, secrets in plain text: only for sending. */
export interface EffectiveAlertSettings extends ChannelSettings {
  warnings: boolean;
  digest: boolean;
}

export function effectiveSettings(
  stored: StoredAlertSettings | null,
  environment: Config['alerts'],
  vault: Vault,
): EffectiveAlertSettings {
  return {
    slackWebhookUrl: stored?.sealedSlackWebhookUrl
      ? vault.open(stored.sealedSlackWebhookUrl)
      : environment.slackWebhookUrl,
    smtpUrl: stored?.sealedSmtpUrl ? vault.open(stored.sealedSmtpUrl) : environment.smtpUrl,
    emailFrom: stored?.emailFrom ?? environment.emailFrom,
    emailTo: stored?.emailTo ?? environment.emailTo,
    warnings: stored?.warnings ?? environment.warnings,
    digest: stored?.digest ?? environment.digest,
  };
}

export function settingsView(
  stored: StoredAlertSettings | null,
  effective: EffectiveAlertSettings,
): AlertSettingsView {
  const emailStored =
    stored !== null &&
    (stored.sealedSmtpUrl !== null || stored.emailFrom !== null || stored.emailTo !== null);
  const emailSet =
    effective.smtpUrl !== null || effective.emailFrom !== null || effective.emailTo.length > 0;
  return {
    slack: {
      webhookUrl: effective.slackWebhookUrl ? maskWebhookUrl(effective.slackWebhookUrl) : null,
      source: stored?.sealedSlackWebhookUrl
        ? 'stored'
        : effective.slackWebhookUrl
          ? 'environment'
          : null,
    },
    email: {
      smtpUrl: effective.smtpUrl ? maskSmtpUrl(effective.smtpUrl) : null,
      from: effective.emailFrom,
      to: effective.emailTo,
      source: emailStored ? 'stored' : emailSet ? 'environment' : null,
      missing: emailSet ? missingEmailFields(effective) : [],
    },
    warnings: effective.warnings,
    digest: effective.digest,
    updatedAt: stored?.updatedAt ?? null,
    updatedBy: stored?.updatedBy ?? null,
  };
}

function missingEmailFields(settings: ChannelSettings): string[] {
  return [
    ...(settings.smtpUrl === null ? ['smtpUrl'] : []),
    ...(settings.emailFrom === null ? ['emailFrom'] : []),
    ...(settings.emailTo.length === 0 ? ['emailTo'] : []),
  ];
}

/** Applies the changes to what was stored, sealing the secrets. */
export function storedWith(
  stored: StoredAlertSettings | null,
  changes: AlertSettingsChanges,
  vault: Vault,
  by: { at: string; actor: string },
): StoredAlertSettings {
  function sealed(value: string | null | undefined, before: string | null): string | null {
    if (value === undefined) return before;
    return value === null ? null : vault.seal(value);
  }
  function kept<T>(value: T | null | undefined, before: T | null): T | null {
    return value === undefined ? before : value;
  }
  return {
    sealedSlackWebhookUrl: sealed(changes.slackWebhookUrl, stored?.sealedSlackWebhookUrl ?? null),
    sealedSmtpUrl: sealed(changes.smtpUrl, stored?.sealedSmtpUrl ?? null),
    emailFrom: kept(changes.emailFrom, stored?.emailFrom ?? null),
    emailTo: kept(changes.emailTo, stored?.emailTo ?? null),
    warnings: kept(changes.warnings, stored?.warnings ?? null),
    digest: kept(changes.digest, stored?.digest ?? null),
    updatedAt: by.at,
    updatedBy: by.actor,
  };
}

/** Email needs a server, a sender and recipients together: a change that leaves one out is refused. */
export function requireCompleteEmail(
  changes: AlertSettingsChanges,
  effective: EffectiveAlertSettings,
): void {
  const touched =
    changes.smtpUrl !== undefined ||
    changes.emailFrom !== undefined ||
    changes.emailTo !== undefined;
  if (!touched) return;
  const nothingLeft =
    effective.smtpUrl === null && effective.emailFrom === null && effective.emailTo.length === 0;
  if (nothingLeft) return;
  const needs: Record<string, string> = {
    smtpUrl: 'needs the SMTP server (smtp://user:password@host:port) for email alerts',
    emailFrom: 'needs the sender address for email alerts',
    emailTo: 'needs at least one recipient for email alerts',
  };
  const missing = missingEmailFields(effective);
  if (missing.length > 0) {
    throw AppError.validation(
      missing.map((field) => ({ field, message: needs[field] ?? 'is needed' })),
    );
  }
}
