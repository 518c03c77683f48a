import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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
