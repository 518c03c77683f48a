import { expect, it } from 'vitest';
import { appForEachTest } from '../../test/app.js';
import { describeEachDatabase } from '../../test/databases.js';
import { maxJsonDepth } from './json-body.js';

function nested(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

describeEachDatabase('JSON bodies nested too deeply', (database) => {
  const app = appForEachTest(database);
  async function post(url: string, payload: string, headers: Record<string, string> = {}) {
    return app().app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload,
    });
  }

  it('are refused with a 400 that says how deep a body may go, on every path', async () => {
    // 9,000 levels ran the NUL check out of stack: a 500, and the server stalled meanwhile.
    const body = nested(9_000);
    const { token } = await app().services.tokens.createToken({
      workspaceId: 'default',
      name: 'depth',
      actor: 'test',
    });
    for (const url of ['/api/accounts', '/healthz']) {
      const response = await post(url, body, { authorization: `Bearer ${token}` });
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error.message, url).toBe(
        `Invalid input. (body): nests arrays and objects more than ${maxJsonDepth} levels deep; send at most ${maxJsonDepth}`,
      );
    }
    for (const url of ['/f/launch/order/bump', '/f/launch/order/contact', '/f/launch/sales']) {
      expect((await post(url, body)).statusCode, url).toBe(400);
    }
    expect(
      app()
        .logLines()
        .filter((line) => Number(line.level) >= 50),
    ).toEqual([]);
  });

  it(`are taken up to ${maxJsonDepth} levels, and brackets inside strings do not count`, async () => {
    expect((await post('/healthz', nested(maxJsonDepth))).statusCode).toBe(404);
    expect((await post('/healthz', nested(maxJsonDepth + 1))).statusCode).toBe(400);
    const text = JSON.stringify({ note: nested(100), quoted: '\\"[[[' });
    expect((await post('/healthz', text)).statusCode).toBe(404);
  });
});
