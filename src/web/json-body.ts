import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/**
 * How deeply a JSON body may nest arrays and objects. Every document the API takes nests a few
 * levels; a body of thousands of levels is only ever an attack on the parser and what walks it.
 */
export const maxJsonDepth = 32;

/**
 * Replaces Fastify's JSON body parser with one that first measures the body's nesting in one
 * pass (no recursion, no parse), refusing a body deeper than `maxJsonDepth` with a 400, then
 * parses it with Fastify's own parser (which also refuses `__proto__` and `constructor` keys).
 */
export function parseJsonBodiesWithDepthLimit(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    function parseJsonWithinDepth(request: FastifyRequest, body: string | Buffer, done) {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (nestingDepth(text, maxJsonDepth) > maxJsonDepth) {
        done(
          AppError.validation([
            {
              field: '(body)',
              message: `nests arrays and objects more than ${maxJsonDepth} levels deep; send at most ${maxJsonDepth}`,
            },
          ]),
          undefined,
        );
        return;
      }
      parse(request, text, done);
    },
  );
}

/** The deepest nesting of `[` and `{` outside strings, counted up to just past `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
