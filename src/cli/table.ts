/** Lines of a plain-text table: columns padded to their widest cell, the last one left ragged. */
export function formatRows(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [index, cell] of row.entries()) {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    }
  }
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Prints a list as JSON for scripts, as a table for people, or says what to do when it is empty.
 */
export function printListing<Item>(
  output: { out(text: string): void },
  listing: {
    items: Item[];
    json: boolean | undefined;
    empty: string;
    header: string[];
    row: (item: Item) => string[];
  },
): void {
  if (listing.json === true) {
    output.out(JSON.stringify(listing.items, null, 2));
  } else if (listing.items.length === 0) {
    output.out(listing.empty);
  } else {
    output.out(formatRows([listing.header, ...listing.items.map(listing.row)]).join('\n'));
  }
}
