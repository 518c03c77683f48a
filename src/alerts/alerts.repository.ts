import type { Kysely } from 'kysely';
import type { Mode } from '../accounts/key-verification.js';
import { newId } from '../db/ids.js';
import type {
  AlertConditionTable,
  AlertDeliveryTable,
  AlertSettingsTable,
  Database,
} from '../db/schema.js';
import type { FindingCode, FindingStatus } from '../doctor/finding.js';

export type ChannelName = 'slack' | 'email';

/** What was stored through the API or CLI; null fields fall back to the environment. */
export interface StoredAlertSettings {
  sealedSlackWebhookUrl: string | null;
  sealedSmtpUrl: string | null;
  emailFrom: string | null;
  emailTo: string[] | null;
  warnings: boolean | null;
  digest: boolean | null;
  updatedAt: string;
  updatedBy: string;
}

/** A finding that was not `pass`, by code, account and mode. */
export interface AlertCondition {
  code: FindingCode;
  account: string | null;
  mode: Mode | null;
  status: Exclude<FindingStatus, 'pass'>;
  detail: string;
  since: string;
  notifiedAt: string | null;
  resolvedAt: string | null;
}

export interface AlertDelivery {
  deliveryId: string;
  channel: ChannelName;
  topic: string;
  subject: string;
  body: string;
  createdAt: string;
  attempts: number;
  nextAt: string;
  lastError: string | null;
  sentAt: string | null;
  gaveUpAt: string | null;
}

export interface QueuedMessage {
  topic: string;
  subject: string;
  body: string;
}

export async function findAlertSettings(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<StoredAlertSettings | null> {
  const row = await db
    .selectFrom('alert_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row ? settingsOf(row) : null;
}

export async function saveAlertSettings(
  db: Kysely<Database>,
  workspaceId: string,
  settings: StoredAlertSettings,
): Promise<void> {
  const row = {
    sealed_slack_webhook_url: settings.sealedSlackWebhookUrl,
    sealed_smtp_url: settings.sealedSmtpUrl,
    email_from: settings.emailFrom,
    email_to: settings.emailTo === null ? null : settings.emailTo.join(','),
    warnings: settings.warnings === null ? null : Number(settings.warnings),
    digest: settings.digest === null ? null : Number(settings.digest),
    updated_at: settings.updatedAt,
    updated_by: settings.updatedBy,
  };
  await db
    .insertInto('alert_settings')
    .values({ workspace_id: workspaceId, ...row })
    .onConflict((conflict) => conflict.column('workspace_id').doUpdateSet(row))
    .execute();
}

function settingsOf(row: AlertSettingsTable): StoredAlertSettings {
  return {
    sealedSlackWebhookUrl: row.sealed_slack_webhook_url,
    sealedSmtpUrl: row.sealed_smtp_url,
    emailFrom: row.email_from,
    emailTo: row.email_to === null ? null : row.email_to.split(',').filter((one) => one !== ''),
    warnings: row.warnings === null ? null : row.warnings === 1,
    digest: row.digest === null ? null : row.digest === 1,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export async function listAlertConditions(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<AlertCondition[]> {
  const rows = await db
    .selectFrom('alert_conditions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .execute();
  return rows.map(conditionOf);
}

export async function saveAlertCondition(
  db: Kysely<Database>,
  workspaceId: string,
  condition: AlertCondition,
): Promise<void> {
  const row = {
    status: condition.status,
    detail: condition.detail,
    since: condition.since,
    notified_at: condition.notifiedAt,
    resolved_at: condition.resolvedAt,
  };
  await db
    .insertInto('alert_conditions')
    .values({
      workspace_id: workspaceId,
      code: condition.code,
      account: condition.account ?? '',
      mode: condition.mode ?? '',
      ...row,
    })
    .onConflict((conflict) =>
      conflict.columns(['workspace_id', 'code', 'account', 'mode']).doUpdateSet(row),
    )
    .execute();
}

function conditionOf(row: AlertConditionTable): AlertCondition {
  return {
    code: row.code as FindingCode,
    account: row.account === '' ? null : row.account,
    mode: row.mode === '' ? null : (row.mode as Mode),
    status: row.status,
    detail: row.detail,
    since: row.since,
    notifiedAt: row.notified_at,
    resolvedAt: row.resolved_at,
  };
}

/** Queues a message for a channel once per topic; false when that topic was queued before. */
export async function queueDelivery(
  db: Kysely<Database>,
  workspaceId: string,
  delivery: { channel: ChannelName; message: QueuedMessage; at: string },
): Promise<boolean> {
  const result = await db
    .insertInto('alert_deliveries')
    .values({
      delivery_id: newId('alr'),
      workspace_id: workspaceId,
      channel: delivery.channel,
      topic: delivery.message.topic,
      subject: delivery.message.subject,
      body: delivery.message.body,
      created_at: delivery.at,
      attempts: 0,
      next_at: delivery.at,
      last_error: null,
      sent_at: null,
      gave_up_at: null,
    })
    .onConflict((conflict) => conflict.columns(['workspace_id', 'channel', 'topic']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Messages not sent nor given up whose next try is due, oldest first. */
export async function listDueDeliveries(
  db: Kysely<Database>,
  workspaceId: string,
  now: string,
): Promise<AlertDelivery[]> {
  const rows = await db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('sent_at', 'is', null)
    .where('gave_up_at', 'is', null)
    .where('next_at', '<=', now)
    .orderBy('created_at')
    .orderBy('delivery_id')
    .execute();
  return rows.map(deliveryOf);
}

/** Messages that a channel has not delivered yet although it was tried, or gave up on since `since`. */
export async function listFailingDeliveries(
  db: Kysely<Database>,
  workspaceId: string,
  since: string,
): Promise<AlertDelivery[]> {
  const rows = await db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('sent_at', 'is', null)
    .where('attempts', '>', 0)
    .where((where) => where.or([where('gave_up_at', 'is', null), where('gave_up_at', '>=', since)]))
    .orderBy('created_at')
    .execute();
  return rows.map(deliveryOf);
}

/**
 * Takes a due message for one sender: moves its next try on, so another job or instance that
 * read it as due too leaves it alone. False when someone else took it first.
 */
export async function claimDelivery(
  db: Kysely<Database>,
  delivery: AlertDelivery,
  until: string,
): Promise<boolean> {
  const result = await db
    .updateTable('alert_deliveries')
    .set({ next_at: until })
    .where('delivery_id', '=', delivery.deliveryId)
    .where('next_at', '=', delivery.nextAt)
    .where('sent_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A channel that was just set again or answered a test: its waiting messages are due now. */
export async function hurryDeliveries(
  db: Kysely<Database>,
  workspaceId: string,
  channel: ChannelName,
  now: string,
): Promise<void> {
  await db
    .updateTable('alert_deliveries')
    .set({ next_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('channel', '=', channel)
    .where('sent_at', 'is', null)
    .where('gave_up_at', 'is', null)
    .where('next_at', '>', now)
    .execute();
}

export async function markDeliverySent(
  db: Kysely<Database>,
  deliveryId: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('alert_deliveries')
    .set({ sent_at: at, last_error: null })
    .where('delivery_id', '=', deliveryId)
    .execute();
}

export async function markDeliveryFailed(
  db: Kysely<Database>,
  deliveryId: string,
  failure: { attempts: number; nextAt: string; lastError: string; gaveUpAt: string | null },
): Promise<void> {
  await db
    .updateTable('alert_deliveries')
    .set({
      attempts: failure.attempts,
      next_at: failure.nextAt,
      last_error: failure.lastError,
      gave_up_at: failure.gaveUpAt,
    })
    .where('delivery_id', '=', deliveryId)
    .execute();
}

function deliveryOf(row: AlertDeliveryTable): AlertDelivery {
  return {
    deliveryId: row.delivery_id,
    channel: row.channel,
    topic: row.topic,
    subject: row.subject,
    body: row.body,
    createdAt: row.created_at,
    attempts: Number(row.attempts),
    nextAt: row.next_at,
    lastError: row.last_error,
    sentAt: row.sent_at,
    gaveUpAt: row.gave_up_at,
  };
}

export async function findAlertMark(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('alert_marks')
    .select('value')
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.value ?? null;
}

export async function saveAlertMark(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
  value: string,
): Promise<void> {
  await db
    .insertInto('alert_marks')
    .values({ workspace_id: workspaceId, name, value })
    .onConflict((conflict) => conflict.columns(['workspace_id', 'name']).doUpdateSet({ value }))
    .execute();
}
