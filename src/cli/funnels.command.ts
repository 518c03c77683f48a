import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { funnelDocumentSchema, parseInput } from '../catalog/catalog.schema.js';
import type { ImportedFunnel } from '../catalog/catalog.service.js';
import { AppError, type FieldProblem, isAppError } from '../errors.js';
import { describeTarget } from '../routing/index.js';
import { type CommandOutput, processOutput, runCommand } from './run-command.js';
import { printListing } from './table.js';
import { withServices } from './with-services.js';

/**
 * `switchyard funnels …`: funnels kept as code. `import` reads a funnel with its products from a
 * JSON or YAML file; `export` writes the same shape, so export -> edit -> import round-trips.
 */
export function registerFunnelsCommand(program: Command): void {
  const funnels = program
    .command('funnels')
    .description('list funnels, and import or export one with its products as JSON or YAML');

  funnels
    .command('list')
    .description('list the funnels of the workspace')
    .option('--json', 'print the funnels as JSON')
    .action(
      runCommand(async function listFunnels(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          const list = await services.catalog.listFunnels(workspaceId);
          printListing(processOutput, {
            items: list,
            json: options.json,
            empty:
              'No funnels yet. "switchyard funnels import FILE" or POST /api/funnels adds one.',
            header: ['SLUG', 'MODE', 'STEPS', 'PIN', 'NAME'],
            row: (funnel) => [
              funnel.slug,
              funnel.mode,
              String(funnel.steps),
              funnel.pin ? describeTarget(funnel.pin.use) : '-',
              funnel.name,
            ],
          });
        });
      }),
    );

  funnels
    .command('import')
    .description(
      'create or update a funnel and its products from a JSON or YAML file; only what differs is written',
    )
    .argument('<file>', 'the funnel document (.json, .yaml or .yml)')
    .action(
      runCommand(async function importFunnel(file: string) {
        const input = await readFunnelFile(file);
        await naming(file, async () => {
          const document = parseInput(funnelDocumentSchema, input);
          await withServices(async ({ services, workspaceId, actor }) => {
            const imported = await services.catalog.importFunnel(workspaceId, document, actor);
            printImported(processOutput, file, document.funnel.slug, imported);
          });
        });
      }),
    );

  funnels
    .command('export')
    .description('print a funnel and the products it offers, in the shape "funnels import" reads')
    .argument('<slug>', 'the funnel')
    .option('--yaml', 'YAML instead of JSON')
    .action(
      runCommand(async function exportFunnel(slug: string, options: { yaml?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          const document = await services.catalog.exportFunnel(workspaceId, slug);
          processOutput.out(
            options.yaml === true ? stringifyYaml(document) : JSON.stringify(document, null, 2),
          );
        });
      }),
    );
}

/** Reads a funnel document: YAML for .yaml and .yml, JSON for .json, else whichever parses. */
export async function readFunnelFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    const why =
      code === 'ENOENT'
        ? 'there is no such file; check the path'
        : code === 'EISDIR'
          ? 'it is a folder, not a file'
          : error instanceof Error
            ? error.message
            : String(error);
    throw new AppError('bad_request', `Cannot read the funnel file ${file}: ${why}.`);
  }
  const json = /\.json$/i.test(file);
  try {
    // YAML is a superset of JSON, so a file of unknown kind is read as YAML.
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
    throw new AppError(
      'bad_request',
      `The funnel file ${file} is not valid ${json ? 'JSON' : 'YAML'} (${why.trim()}).`,
    );
  }
}

/** Puts the file name in front of every field problem, so the user knows where to look. */
async function naming(file: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (isAppError(error) && error.code === 'validation_failed') {
      const fields = (error.details as { fields?: FieldProblem[] } | null)?.fields ?? [];
      throw new AppError(
        'validation_failed',
        [
          `${file} is not a valid funnel document; nothing was changed:`,
          ...fields.map((problem) => `  ${problem.field}: ${problem.message}`),
        ].join('\n'),
        { file, fields },
        { cause: error },
      );
    }
    throw error;
  }
}

function printImported(
  output: CommandOutput,
  file: string,
  slug: string,
  imported: ImportedFunnel,
): void {
  if (!imported.changed) {
    output.out(`No changes: ${file} matches funnel ${slug} and its products. Nothing was stored.`);
    return;
  }
  const lines = [`Imported ${file}: funnel ${slug} ${imported.funnel}.`];
  for (const state of ['created', 'updated', 'unchanged'] as const) {
    const slugs = imported.products[state];
    if (slugs.length > 0) lines.push(`  products ${state}: ${slugs.join(', ')}`);
  }
  if (imported.routingVersion !== null) {
    lines.push(`  pins written as routing version ${imported.routingVersion}`);
  }
  output.out(lines.join('\n'));
}
