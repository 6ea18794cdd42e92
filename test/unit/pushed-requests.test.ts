import { describe, expect, it } from 'vitest';
import { PUSHED_REQUEST_TTL_SECONDS, requestParameters } from '../../src/domain/authorization/pushed-requests';
import type { StoredOidcClient } from '../../src/domain/clients/model';
import { MemoryAuthorizationStore } from '../support/memory-authorization-store';
import { plainHasher } from '../support/memory-store';

/** How the authorization endpoint takes a pushed request (RFC 9126 §4), with the in-memory store. */
describe('taking a pushed authorization request', () => {
  const NOW = 1_800_000_000;
  const REQUEST_URI = `urn:ietf:params:oauth:request_uri:${'a'.repeat(43)}`;
  const client = (id: string, extra: Partial<StoredOidcClient> = {}) => ({ id, environmentId: 'env_1', clientId: `${id}@env_1`, ...extra }) as StoredOidcClient;

  async function world(nowSeconds = NOW) {
    const authorizations = new MemoryAuthorizationStore();
    await authorizations.putPushedRequest({
      environmentId: 'env_1',
      requestUriHash: await plainHasher.hash(REQUEST_URI),
      clientRef: 'cl_a',
      parameters: 'client_id=cl_a%40env_1&response_type=code&state=pushed',
      expiresAt: NOW + PUSHED_REQUEST_TTL_SECONDS,
    });
    return { authorizations, hasher: plainHasher, now: () => nowSeconds * 1000 };
  }

  it('answers the pushed parameters once, whatever else the browser sent', async () => {
    const deps = await world();
    const params = await requestParameters(deps, client('cl_a'), new URLSearchParams({ client_id: 'cl_a@env_1', request_uri: REQUEST_URI, state: 'browser' }));
    expect(Object.fromEntries(params)).toEqual({ client_id: 'cl_a@env_1', response_type: 'code', state: 'pushed' });
    await expect(requestParameters(deps, client('cl_a'), new URLSearchParams({ request_uri: REQUEST_URI }))).rejects.toThrow('already used');
  });

  it("refuses another client's request_uri without spending it, an expired one and a malformed one", async () => {
    const deps = await world();
    await expect(requestParameters(deps, client('cl_b'), new URLSearchParams({ request_uri: REQUEST_URI }))).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await requestParameters(deps, client('cl_a'), new URLSearchParams({ request_uri: REQUEST_URI }))).toBeInstanceOf(URLSearchParams);
    const late = await world(NOW + PUSHED_REQUEST_TTL_SECONDS);
    await expect(requestParameters(late, client('cl_a'), new URLSearchParams({ request_uri: REQUEST_URI }))).rejects.toThrow('expired');
    await expect(requestParameters(deps, client('cl_a'), new URLSearchParams({ request_uri: 'https://attacker.example.com/r' }))).rejects.toThrow('not one Latchkey issued');
  });

  it('lets a request without request_uri through unless the client requires pushed requests', async () => {
    const deps = await world();
    const direct = new URLSearchParams({ response_type: 'code' });
    expect(await requestParameters(deps, client('cl_a'), direct)).toBe(direct);
    await expect(requestParameters(deps, client('cl_a', { requirePar: true }), direct)).rejects.toThrow('must push its authorization requests');
  });
});
