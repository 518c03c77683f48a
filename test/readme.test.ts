import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findingCodes } from '../src/doctor/finding.js';
import { buildTestApp } from './app.js';
import { testDatabases } from './databases.js';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replaceAll(' ', '-');
}

function anchorsIn(file: string): string[] {
  const text = readFileSync(new URL(file, root), 'utf8');
  return [...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1] ?? ''));
}

describe('the README', () => {
  it('refers only to documents that are in the repository', () => {
    const named = [...readme.matchAll(/[\w./-]*[\w-]\.md\b/g)].map((match) => match[0]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((file) => !existsSync(new URL(file, root)))).toEqual([]);
  });

  it('links only to files and headings that are in the repository', () => {
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1] ?? '')
      .filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith('#'));
    expect(links.length).toBeGreaterThan(0);
    const broken = links.filter((target) => {
      const [file = '', anchor] = target.split('#');
      if (!existsSync(new URL(file, root))) return true;
      return anchor !== undefined && !anchorsIn(file).includes(anchor);
    });
    expect(broken).toEqual([]);
  });
});

describe("the README's Troubleshooting section", () => {
  const section = /^## Troubleshooting\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const rows = [...section.matchAll(/^\| `([a-z_]+)` \|(.+)\|(.+)\|$/gm)];

  it('explains every code the registered doctor checks answer, with its fix', async () => {
    const [sqlite] = testDatabases;
    const store = await sqlite?.openMigrated();
    if (!store) throw new Error('SQLite is always there');
    const testApp = await buildTestApp(store);
    try {
      const explained = rows
        .filter((row) => (row[2] ?? '').trim() !== '' && (row[3] ?? '').trim() !== '')
        .map((row) => row[1]);
      // The checks list their codes: a code counts from when its check is registered.
      expect(testApp.services.doctor.codes.filter((code) => !explained.includes(code))).toEqual([]);
      // Every code has its check, so the README covers them all.
      expect(findingCodes.filter((code) => !testApp.services.doctor.codes.includes(code))).toEqual(
        [],
      );
    } finally {
      await testApp.app.close();
      await store.dispose();
    }
  });

  it('names only codes doctor has, each once', () => {
    const named = rows.map((row) => row[1]);
    expect(
      named.filter((code) => !(findingCodes as readonly string[]).includes(code ?? '')),
    ).toEqual([]);
    expect(named.filter((code, index) => named.indexOf(code) !== index)).toEqual([]);
  });
});
