import { expect, it } from 'vitest';
import { appForEachTest } from '../../test/app.js';
import { describeEachDatabase } from '../../test/databases.js';

const expectedForm =
  'The Authorization header must be "Bearer <token>": the word Bearer (in any case), one space, then the token and nothing after it.';

describeEachDatabase('the admin API token header', (database) => {
  const app = appForEachTest(database);

  async function callWith(authorization: string) {
    const response = await app().app.inject({
      method: 'GET',
      url: '/api/accounts',
      headers: { authorization },
    });
    return { status: response.statusCode, message: response.json().error?.message };
  }

  async function newToken(): Promise<string> {
    const { token } = await app().services.tokens.createToken({
      workspaceId: 'default',
      name: 'bearer-form',
      actor: 'test',
    });
    return token;
  }

  it('takes "Bearer <token>", the scheme in any case as RFC 7235 has it', async () => {
    const token = await newToken();
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await callWith(`${scheme} ${token}`)).status, scheme).toBe(200);
    }
  });

  // (Leading and trailing blanks never reach us: HTTP strips them from header values.)
  it('refuses any other form with a 401 that gives the expected one', async () => {
    const token = await newToken();
    for (const header of [
      `Bearer  ${token}`,
      `Bearer\t${token}`,
      `Bearer ${token} extra`,
      `Token ${token}`,
      token,
      'Bearer',
    ]) {
      expect(await callWith(header), JSON.stringify(header)).toEqual({
        status: 401,
        message: expectedForm,
      });
    }
  });
});
