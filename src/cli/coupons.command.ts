import type { Command } from 'commander';
import { parseInput } from '../catalog/catalog.schema.js';
import { formatMoney } from '../catalog/money.js';
import { couponSchema } from '../coupons/coupons.schema.js';
import type { CouponView } from '../coupons/coupons.service.js';
import { AppError } from '../errors.js';
import { processOutput, runCommand } from './run-command.js';
import { printListing } from './table.js';
import { withServices } from './with-services.js';

interface AddOptions {
  percent?: string;
  amount?: string[];
  expires?: string;
  limit?: string;
  product?: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `usd:500` -> ['usd', 500]. */
function amountOff(text: string): [string, number] {
  const match = /^([a-z]{3}):(\d+)$/.exec(text.trim().toLowerCase());
  if (!match?.[1] || !match[2]) {
    throw AppError.validation([
      { field: 'amount', message: `"${text}" is not currency:minor-units, e.g. usd:500` },
    ]);
  }
  return [match[1], Number(match[2])];
}

function describeOff(coupon: CouponView): string {
  if (coupon.percentOff !== null) return `${coupon.percentOff}% off`;
  return Object.entries(coupon.amountsOff ?? {})
    .map(([currency, amount]) => `${formatMoney(amount, currency)} off`)
    .join(', ');
}

export function registerCouponsCommand(program: Command): void {
  const coupons = program.command('coupons').description('codes buyers type for a discount');

  coupons
    .command('add')
    .description('add a coupon code (a percent, or an amount off per currency)')
    .argument('<code>', 'what the buyer types, e.g. LAUNCH10')
    .option('--percent <n>', 'percent off, 1-99')
    .option(
      '--amount <currency:minor>',
      'amount off in one currency, e.g. usd:500 (repeatable)',
      collect,
    )
    .option('--expires <time>', 'ISO time after which the code is refused')
    .option('--limit <n>', 'how many paid orders may use it')
    .option(
      '--product <slug>',
      'a product it applies to (repeatable; none: every product)',
      collect,
    )
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function addCoupon(code: string, options: AddOptions) {
        const input = parseInput(couponSchema, {
          code,
          percentOff: options.percent === undefined ? undefined : Number(options.percent),
          amountsOff: options.amount
            ? Object.fromEntries(options.amount.map(amountOff))
            : undefined,
          expiresAt: options.expires,
          limit: options.limit === undefined ? undefined : Number(options.limit),
          products: options.product,
        });
        await withServices(async ({ services, workspaceId, actor }) => {
          const coupon = await services.coupons.createCoupon(workspaceId, input, actor);
          processOutput.out(
            options.json ? JSON.stringify(coupon) : `Added ${coupon.code}: ${describeOff(coupon)}.`,
          );
        });
      }),
    );

  coupons
    .command('list')
    .description('list coupons with their use')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function listCoupons(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          printListing(processOutput, {
            items: await services.coupons.listCoupons(workspaceId),
            json: options.json,
            empty: 'No coupons yet. Add one with "switchyard coupons add <CODE> --percent 10".',
            header: ['CODE', 'OFF', 'PAID', 'HELD', 'LIMIT', 'EXPIRES', 'PRODUCTS'],
            row: (coupon) => [
              coupon.code,
              describeOff(coupon),
              String(coupon.redeemed),
              String(coupon.held),
              coupon.limit === null ? '-' : String(coupon.limit),
              coupon.expiresAt ?? '-',
              coupon.products.join(', ') || 'all',
            ],
          });
        });
      }),
    );

  coupons
    .command('remove')
    .description('remove a coupon; paid orders keep their discount')
    .argument('<code>', 'the coupon code')
    .action(
      runCommand(async function removeCoupon(code: string) {
        await withServices(async ({ services, workspaceId, actor }) => {
          await services.coupons.removeCoupon(workspaceId, code, actor);
          processOutput.out(`Removed the coupon ${code.toUpperCase()}.`);
        });
      }),
    );
}
