/** CSV as spreadsheets read it: RFC 4180 quoting, and no cell a spreadsheet would run as a formula. */

/** One field: a leading =, +, -, @, tab or CR is prefixed with ' so it stays text; then RFC 4180 quoting. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The whole document: a header and rows, each line ended by CRLF. */
export function csvDocument(rows: readonly (readonly string[])[]): string {
  return rows
    .map((row) => row.map(csvField).join(','))
    .join('\r\n')
    .concat('\r\n');
}
