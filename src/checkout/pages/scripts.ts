import { createHash } from 'node:crypto';
import { cardFormPath, cardFormSource } from './card-script.js';
import {
  acceptOncePath,
  acceptOnceSource,
  followCountryPath,
  followCountrySource,
} from './step-pages.js';

/** A script of the visitor pages, served from /assets/ because their policy runs no inline one. */
export interface PageScript {
  path: string;
  source: string;
  /** Quoted as the header wants it: it changes only when the source does. */
  etag: string;
}

function pageScript(path: string, source: string): PageScript {
  const etag = `"${createHash('sha256').update(source).digest('base64url').slice(0, 16)}"`;
  return { path, source, etag };
}

export const pageScripts: readonly PageScript[] = [
  pageScript(cardFormPath, cardFormSource),
  pageScript(followCountryPath, followCountrySource),
  pageScript(acceptOncePath, acceptOnceSource),
];
