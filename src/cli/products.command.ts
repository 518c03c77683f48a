import type { Command } from 'commander';
import { processOutput, runCommand } from './run-command.js';
import { printListing } from './table.js';
import { withServices } from './with-services.js';

/** `switchyard products list`: what the workspace sells, its prices and pins. */
export function registerProductsCommand(program: Command): void {
  const products = program.command('products').description('list the products of the workspace');

  products
    .command('list')
    .description('list the products with their prices and pins')
    .option('--json', 'print the products as JSON')
    .action(
      runCommand(async function listProducts(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          const list = await services.catalog.listProducts(workspaceId);
          printListing(processOutput, {
            items: list,
            json: options.json,
            empty:
              'No products yet. POST /api/products or "switchyard funnels import FILE" adds them.',
            header: ['SLUG', 'PRICES', 'TAGS', 'PIN', 'NAME'],
            row: (product) => [
              product.slug,
              product.prices.map((price) => price.display).join(', '),
              product.tags.join(',') || '-',
              product.pin?.use ?? '-',
              product.name,
            ],
          });
        });
      }),
    );
}
