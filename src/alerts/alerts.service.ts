import type { Kysely } from 'kysely';
import { listCredentials, listLiveAccounts } from '../accounts/accounts.repository.js';
import type { Vault } from '../accounts/vault.js';
import { type AuditEntry, listAuditEntriesBetween } from '../audit/audit.repository.js';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { DoctorService } from '../doctor/doctor.service.js';
import type { Finding } from '../doctor/finding.js';
import { AppError } from '../errors.js';
import { describeRoutingDifferences } from '../routing-config/routing-config.diff.js';
import { findVersion } from '../routing-config/routing-config.repository.js';
import {
  type AlertSettingsChanges,
  type AlertSettingsView,
  type EffectiveAlertSettings,
  effectiveSettings,
  requireCompleteEmail,
  settingsView,
  storedWith,
} from './alert-settings.js';
import {
  type AlertCondition,
  type ChannelName,
  claimDelivery,
  findAlertMark,
  findAlertSettings,
  hurryDeliveries,
  listAlertConditions,
  listDueDeliveries,
  markDeliveryFailed,
  markDeliverySent,
  type QueuedMessage,
  queueDelivery,
  saveAlertCondition,
  saveAlertMark,
  saveAlertSettings,
} from './alerts.repository.js';
import { type AlertChannel, channelsOf } from './channels.js';
import {
  auditChange,
  conditionOpened,
  conditionResolved,
  dailyDigest,
  isTeamNews,
  keyAgeReminder,
  testMessage,
} from './messages.js';
import { scrubSecrets } from './scrub.js';

export interface ChannelTestResult {
  channel: ChannelName;
  delivered: boolean;
  /** What happened, in the channel's words when it refused. */
  detail: string;
}

/** What one run of the `alerts` job did. */
export interface AlertsRun {
  opened: number;
  resolved: number;
  changes: number;
  digest: boolean;
  delivery: DeliveryRound;
}

export interface DeliveryRound {
  sent: number;
  failed: number;
}

export interface AlertsService {
  showSettings(workspaceId: string): Promise<AlertSettingsView>;
  /** What the last `alerts` run found still wrong (fail or warn), as it stored it: no Stripe call. */
  openConditions(workspaceId: string): Promise<AlertCondition[]>;
  /** Stores the channels (secrets sealed); null fields fall back to the environment. */
  updateSettings(
    workspaceId: string,
    changes: AlertSettingsChanges,
    actor: string,
  ): Promise<AlertSettingsView>;
  /** Sends a test message to every channel now and says per channel what happened. */
  sendTest(workspaceId: string, actor: string): Promise<ChannelTestResult[]>;
  /**
   * The `alerts` job: compares doctor's findings with the stored conditions (a condition that
   * turns `fail`, or `warn` when warnings are on, is told once, then once when it clears), tells
   * the audit log's changes to accounts and routing, the daily digest, then delivers what is due.
   */
  runAlerts(workspaceId: string): Promise<AlertsRun>;
  /** The `key_age` job: one reminder per key older than KEY_ROTATION_DAYS. */
  remindKeyAges(workspaceId: string): Promise<{ reminded: number; delivery: DeliveryRound }>;
  /** Sends the queued messages whose next try is due; a failure is retried with backoff. */
  deliverDue(workspaceId: string): Promise<DeliveryRound>;
}

export interface AlertsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  config: Pick<Config, 'alerts' | 'keyRotationDays'>;
  vault: Vault;
  audit: AuditLog;
  doctor: DoctorService;
}

/** A message is tried this many times, waiting 1, 2, 4 … up to 60 minutes between, then given up. */
export const maxDeliveryAttempts = 10;
const maxBackoffMinutes = 60;
/** Audit entries committed a little after a later one are still read: the window looks back this far. */
const auditLookbackMs = 10 * 60_000;
const dayMs = 86_400_000;

export function backoffMs(attempts: number): number {
  return Math.min(2 ** Math.max(attempts - 1, 0), maxBackoffMinutes) * 60_000;
}

export function createAlertsService(deps: AlertsDependencies): AlertsService {
  const { db, clock, vault } = deps;

  async function settingsOf(workspaceId: string): Promise<EffectiveAlertSettings> {
    return effectiveSettings(await findAlertSettings(db, workspaceId), deps.config.alerts, vault);
  }

  /** Queues a message on every channel that is set, once per topic: how many channels took it. */
  async function queue(
    workspaceId: string,
    channels: readonly AlertChannel[],
    message: QueuedMessage,
    at: string,
  ): Promise<number> {
    const scrubbed = {
      topic: message.topic,
      subject: scrubSecrets(message.subject),
      body: scrubSecrets(message.body),
    };
    let queued = 0;
    for (const channel of channels) {
      if (await queueDelivery(db, workspaceId, { channel: channel.name, message: scrubbed, at })) {
        queued += 1;
      }
    }
    return queued;
  }

  async function followFindings(
    workspaceId: string,
    settings: EffectiveAlertSettings,
    channels: readonly AlertChannel[],
    now: string,
  ): Promise<{ opened: number; resolved: number }> {
    const report = await deps.doctor.run(workspaceId);
    const keyOf = (place: Pick<Finding, 'code' | 'account' | 'mode'>) =>
      `${place.code}|${place.account ?? ''}|${place.mode ?? ''}`;
    const open = new Map(
      (await listAlertConditions(db, workspaceId))
        .filter((condition) => condition.resolvedAt === null)
        .map((condition) => [keyOf(condition), condition]),
    );
    let opened = 0;
    let resolved = 0;

    async function resolve(condition: AlertCondition, finding: Finding | undefined) {
      if (condition.notifiedAt !== null) {
        await queue(workspaceId, channels, conditionResolved(condition, now, finding), now);
        resolved += 1;
      }
      await saveAlertCondition(db, workspaceId, { ...condition, resolvedAt: now });
    }

    const seen = new Set<string>();
    for (const finding of report.findings) {
      const key = keyOf(finding);
      seen.add(key);
      const existing = open.get(key);
      if (finding.status === 'pass') {
        if (existing) await resolve(existing, finding);
        continue;
      }
      const condition: AlertCondition = existing
        ? { ...existing, status: finding.status, detail: finding.detail }
        : {
            code: finding.code,
            account: finding.account,
            mode: finding.mode,
            status: finding.status,
            detail: finding.detail,
            since: now,
            notifiedAt: null,
            resolvedAt: null,
          };
      const tellable = finding.status === 'fail' || settings.warnings;
      // With no channel set, it stays untold: the first channel set hears of it.
      if (tellable && condition.notifiedAt === null && channels.length > 0) {
        await queue(workspaceId, channels, conditionOpened(finding, condition.since), now);
        condition.notifiedAt = now;
        opened += 1;
      }
      await saveAlertCondition(db, workspaceId, condition);
    }
    for (const [key, condition] of open) {
      if (!seen.has(key)) await resolve(condition, undefined);
    }
    return { opened, resolved };
  }

  async function tellChanges(
    workspaceId: string,
    channels: readonly AlertChannel[],
    now: Date,
  ): Promise<number> {
    const at = now.toISOString();
    const from = (await findAlertMark(db, workspaceId, 'audit_from')) ?? at;
    if (from === at) await saveAlertMark(db, workspaceId, 'audit_from', at);
    const cursor = (await findAlertMark(db, workspaceId, 'audit_cursor')) ?? from;
    const since = Math.max(Date.parse(cursor) - auditLookbackMs, Date.parse(from));
    const entries = await listAuditEntriesBetween(db, {
      workspaceId,
      since: new Date(since).toISOString(),
      limit: 1000,
    });
    let told = 0;
    for (const entry of entries) {
      if (!isTeamNews(entry)) continue;
      const routing = await routingDifferences(workspaceId, entry);
      told += await queue(workspaceId, channels, auditChange(entry, routing), at);
    }
    const newest = entries.at(-1)?.at;
    if (newest !== undefined && newest > cursor) {
      await saveAlertMark(db, workspaceId, 'audit_cursor', newest);
    }
    return told;
  }

  /** For a routing change: what it changed in the document, in the words of `config diff`. */
  async function routingDifferences(workspaceId: string, entry: AuditEntry): Promise<string[]> {
    if (!entry.action.startsWith('routing.')) return [];
    const versionOf = (side: unknown) =>
      typeof side === 'object' && side !== null && 'version' in side ? side.version : null;
    const before = versionOf(entry.before);
    const after = versionOf(entry.after);
    if (typeof after !== 'number') return [];
    const now = await findVersion(db, workspaceId, after);
    if (!now) return [];
    // The first version is compared with no rules and no pins over the same accounts.
    const old =
      typeof before === 'number'
        ? (await findVersion(db, workspaceId, before))?.document
        : { ...now.document, rules: [], funnels: {}, steps: {}, products: {} };
    return old ? describeRoutingDifferences(old, now.document) : [];
  }

  async function sendDigest(
    workspaceId: string,
    channels: readonly AlertChannel[],
    now: Date,
  ): Promise<boolean> {
    const today = now.toISOString().slice(0, 10);
    const day = new Date(Date.parse(today) - dayMs).toISOString().slice(0, 10);
    if ((await findAlertMark(db, workspaceId, 'digest_day')) === day) return false;
    const since = `${day}T00:00:00.000Z`;
    const until = `${today}T00:00:00.000Z`;
    const changes = (
      await listAuditEntriesBetween(db, { workspaceId, since, until, limit: 1000 })
    ).filter(isTeamNews);
    const conditions = await listAlertConditions(db, workspaceId);
    const message = dailyDigest({
      day,
      changes,
      open: conditions.filter((condition) => condition.resolvedAt === null),
      resolvedThatDay: conditions.filter(
        (condition) =>
          condition.resolvedAt !== null &&
          condition.resolvedAt >= since &&
          condition.resolvedAt < until,
      ),
    });
    if (channels.length === 0) return false;
    await queue(workspaceId, channels, message, now.toISOString());
    await saveAlertMark(db, workspaceId, 'digest_day', day);
    return true;
  }

  async function deliverDue(workspaceId: string): Promise<DeliveryRound> {
    const settings = await settingsOf(workspaceId);
    const channels = new Map(channelsOf(settings).map((channel) => [channel.name, channel]));
    const hide = [settings.slackWebhookUrl, settings.smtpUrl].filter(
      (secret): secret is string => secret !== null,
    );
    const round: DeliveryRound = { sent: 0, failed: 0 };
    // A channel that fails is not asked again in this round: its other messages wait their turn.
    const failing = new Set<ChannelName>();
    const now = clock();
    for (const delivery of await listDueDeliveries(db, workspaceId, now.toISOString())) {
      const channel = channels.get(delivery.channel);
      if (failing.has(delivery.channel)) continue;
      const claimedUntil = new Date(now.getTime() + 5 * 60_000).toISOString();
      if (!(await claimDelivery(db, delivery, claimedUntil))) continue;
      if (!channel) {
        await markDeliveryFailed(db, delivery.deliveryId, {
          attempts: delivery.attempts,
          nextAt: claimedUntil,
          lastError: `The ${delivery.channel} channel is no longer set.`,
          gaveUpAt: now.toISOString(),
        });
        continue;
      }
      try {
        await channel.send({
          subject: scrubSecrets(delivery.subject, hide),
          body: scrubSecrets(delivery.body, hide),
        });
        await markDeliverySent(db, delivery.deliveryId, clock().toISOString());
        round.sent += 1;
      } catch (error) {
        const attempts = delivery.attempts + 1;
        const at = clock();
        await markDeliveryFailed(db, delivery.deliveryId, {
          attempts,
          nextAt: new Date(at.getTime() + backoffMs(attempts)).toISOString(),
          lastError: scrubSecrets(error instanceof Error ? error.message : String(error), hide),
          gaveUpAt: attempts >= maxDeliveryAttempts ? at.toISOString() : null,
        });
        failing.add(delivery.channel);
        round.failed += 1;
      }
    }
    return round;
  }

  return {
    async showSettings(workspaceId) {
      const stored = await findAlertSettings(db, workspaceId);
      return settingsView(stored, effectiveSettings(stored, deps.config.alerts, vault));
    },

    async openConditions(workspaceId) {
      const conditions = await listAlertConditions(db, workspaceId);
      return conditions.filter((condition) => condition.resolvedAt === null);
    },

    async updateSettings(workspaceId, changes, actor) {
      const at = clock().toISOString();
      return db.transaction().execute(async (trx) => {
        const before = await findAlertSettings(trx, workspaceId);
        const after = storedWith(before, changes, vault, { at, actor });
        const effective = effectiveSettings(after, deps.config.alerts, vault);
        requireCompleteEmail(changes, effective);
        await saveAlertSettings(trx, workspaceId, after);
        if (changes.slackWebhookUrl) await hurryDeliveries(trx, workspaceId, 'slack', at);
        if (changes.smtpUrl || changes.emailFrom || changes.emailTo) {
          await hurryDeliveries(trx, workspaceId, 'email', at);
        }
        const view = settingsView(after, effective);
        await deps.audit.record(trx, {
          workspaceId,
          actor,
          action: 'alerts.updated',
          subject: 'alerts',
          before: settingsView(before, effectiveSettings(before, deps.config.alerts, vault)),
          after: view,
        });
        return view;
      });
    },

    async sendTest(workspaceId, actor) {
      const channels = channelsOf(await settingsOf(workspaceId));
      if (channels.length === 0) {
        throw new AppError(
          'unprocessable',
          'No alert channel is set: give a Slack-compatible webhook URL, or an SMTP server with a sender and recipients.',
          { next: 'alerts.set' },
        );
      }
      const message = testMessage(clock().toISOString(), actor);
      return Promise.all(
        channels.map(async (channel): Promise<ChannelTestResult> => {
          try {
            await channel.send(message);
            await hurryDeliveries(db, workspaceId, channel.name, clock().toISOString());
            return { channel: channel.name, delivered: true, detail: 'Delivered.' };
          } catch (error) {
            return {
              channel: channel.name,
              delivered: false,
              detail: scrubSecrets(error instanceof Error ? error.message : String(error)),
            };
          }
        }),
      );
    },

    async runAlerts(workspaceId) {
      const settings = await settingsOf(workspaceId);
      const channels = channelsOf(settings);
      // What waits goes first, so doctor sees a mended channel as mended.
      const waiting = await deliverDue(workspaceId);
      const now = clock();
      // Doctor failing must not keep the changes and the waiting messages from going out.
      const findings = await followFindings(
        workspaceId,
        settings,
        channels,
        now.toISOString(),
      ).then(
        (counts) => ({ ok: true as const, counts }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      const changes = await tellChanges(workspaceId, channels, now);
      const digest = settings.digest ? await sendDigest(workspaceId, channels, now) : false;
      const fresh = await deliverDue(workspaceId);
      const delivery = { sent: waiting.sent + fresh.sent, failed: waiting.failed + fresh.failed };
      if (!findings.ok) throw findings.error;
      return { ...findings.counts, changes, digest, delivery };
    },

    async remindKeyAges(workspaceId) {
      const channels = channelsOf(await settingsOf(workspaceId));
      const now = clock();
      const accounts = await listLiveAccounts(db, workspaceId);
      const credentials = await listCredentials(
        db,
        accounts.map((account) => account.accountId),
      );
      const rotationDays = deps.config.keyRotationDays;
      let reminded = 0;
      for (const credential of credentials) {
        const ageDays = Math.floor((now.getTime() - Date.parse(credential.createdAt)) / dayMs);
        if (ageDays < rotationDays) continue;
        const account = accounts.find((one) => one.accountId === credential.accountId);
        if (!account) continue;
        reminded += await queue(
          workspaceId,
          channels,
          keyAgeReminder({ handle: account.handle, credential, ageDays, rotationDays }),
          now.toISOString(),
        );
      }
      return { reminded, delivery: await deliverDue(workspaceId) };
    },

    deliverDue,
  };
}
