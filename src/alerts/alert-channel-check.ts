import type { Kysely } from 'kysely';
import type { Vault } from '../accounts/vault.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { DoctorCheck } from '../doctor/check.js';
import { fail, pass, workspaceScope } from '../doctor/finding.js';
import { effectiveSettings } from './alert-settings.js';
import {
  type AlertDelivery,
  type ChannelName,
  findAlertSettings,
  listFailingDeliveries,
} from './alerts.repository.js';
import { maxDeliveryAttempts } from './alerts.service.js';
import { channelsOf } from './channels.js';

const channelWords: Record<ChannelName, { name: string; fix: string }> = {
  slack: {
    name: 'Slack webhook',
    fix: 'Check the webhook in Slack (Apps → Incoming Webhooks), then set it with `switchyard alerts set --stdin < alerts.json`, the file holding {"slackWebhookUrl": "<url>"} (or ALERT_SLACK_WEBHOOK_URL), and run `switchyard alerts test`.',
  },
  email: {
    name: 'email',
    fix: 'Check the mail server, its user and password, then set it with `switchyard alerts set --stdin < alerts.json`, the file holding {"smtpUrl": "smtp://user:password@host:port"} (or ALERT_SMTP_URL), and run `switchyard alerts test`.',
  },
};

/** Given-up messages keep the finding failing this long, so a dead channel is seen in the morning. */
const gaveUpShownMs = 24 * 3_600_000;

/** `alert_channel_failing`: a channel that did not take its messages, with what it answered. */
export function alertChannelCheck(deps: {
  db: Kysely<Database>;
  clock: Clock;
  config: Pick<Config, 'alerts'>;
  vault: Vault;
}): DoctorCheck {
  return {
    name: 'alerts',
    scope: 'workspace',
    codes: ['alert_channel_failing'],
    callsStripe: false,
    async run({ workspaceId }) {
      const since = new Date(deps.clock().getTime() - gaveUpShownMs).toISOString();
      // A channel that was removed since is no one's to mend.
      const settings = effectiveSettings(
        await findAlertSettings(deps.db, workspaceId),
        deps.config.alerts,
        deps.vault,
      );
      const set = new Set(channelsOf(settings).map((channel) => channel.name));
      const failing = (await listFailingDeliveries(deps.db, workspaceId, since)).filter(
        (delivery) => set.has(delivery.channel),
      );
      if (failing.length === 0) {
        return [
          pass('alert_channel_failing', workspaceScope, 'Every alert channel took its messages.'),
        ];
      }
      const byChannel = new Map<ChannelName, AlertDelivery[]>();
      for (const delivery of failing) {
        byChannel.set(delivery.channel, [...(byChannel.get(delivery.channel) ?? []), delivery]);
      }
      const details: string[] = [];
      const fixes: string[] = [];
      for (const [channel, deliveries] of byChannel) {
        const newest = deliveries.reduce((a, b) => (a.attempts >= b.attempts ? a : b));
        const givenUp = deliveries.filter((delivery) => delivery.gaveUpAt !== null).length;
        const waiting = deliveries.length - givenUp;
        details.push(
          `The ${channelWords[channel].name} did not take ${deliveries.length} alert${deliveries.length === 1 ? '' : 's'} since ${deliveries[0]?.createdAt} (${waiting} retried with backoff, next at ${newest.nextAt}; ${givenUp} given up after ${maxDeliveryAttempts} tries). Last error: ${newest.lastError ?? 'none recorded'}`,
        );
        fixes.push(channelWords[channel].fix);
      }
      return [fail('alert_channel_failing', workspaceScope, details.join(' '), fixes.join(' '))];
    },
  };
}
