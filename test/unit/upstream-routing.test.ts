import { describe, expect, it } from 'vitest';
import type { IdpConnection } from '../../src/domain/idp-connections';
import { routeUpstream } from '../../src/domain/login/upstream';

const ENV = 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const APP = 'app_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_APP = 'app_bbbbbbbbbbbbbbbbbbbbbbbbbb';

function connection(id: string, changes: Partial<IdpConnection> = {}): IdpConnection {
  return {
    id,
    environmentId: ENV,
    tenantId: 'ten_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    type: 'oidc',
    name: id,
    enabled: true,
    applicationIds: [APP],
    emailDomains: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...changes,
  };
}

const deps = (list: IdpConnection[]) => ({ connections: { listIdpConnections: async () => list, getIdpConnectionByType: async () => undefined } });

describe('which upstream identity provider logs an end user in', () => {
  const acme = connection('idp_acme', { emailDomains: ['acme.example'] });
  const globex = connection('idp_globex', { emailDomains: ['globex.example'] });
  const foreign = connection('idp_foreign', { applicationIds: [OTHER_APP] });
  const disabled = connection('idp_off', { enabled: false });
  const delegated = connection('idp_delegated', { type: 'delegated' });
  const all = [acme, globex, foreign, disabled, delegated];

  it('asks on the choice page when several could, and lists only the enabled upstream ones of the application', async () => {
    const route = await routeUpstream(deps(all), ENV, APP, {});
    expect(route).toEqual({ kind: 'choose', connections: [acme, globex] });
  });

  it('picks by the login_hint email domain, in any case', async () => {
    expect(await routeUpstream(deps(all), ENV, APP, { loginHint: 'Jo@GLOBEX.example' })).toEqual({ kind: 'connection', connection: globex });
    expect(await routeUpstream(deps(all), ENV, APP, { loginHint: 'jo@unknown.example' })).toEqual({ kind: 'choose', connections: [acme, globex] });
  });

  it('takes an idp_hint only for a connection of this application that is enabled', async () => {
    expect(await routeUpstream(deps(all), ENV, APP, { idpHint: 'idp_acme' })).toEqual({ kind: 'connection', connection: acme });
    expect(await routeUpstream(deps(all), ENV, APP, { idpHint: 'idp_foreign' })).toEqual({ kind: 'bad_hint' });
    expect(await routeUpstream(deps(all), ENV, APP, { idpHint: 'idp_off' })).toEqual({ kind: 'bad_hint' });
    expect(await routeUpstream(deps(all), ENV, APP, { idpHint: 'idp_delegated' })).toEqual({ kind: 'bad_hint' });
  });

  it('uses the one connection without asking, and none when the application has none', async () => {
    expect(await routeUpstream(deps([acme, foreign]), ENV, APP, {})).toEqual({ kind: 'connection', connection: acme });
    expect(await routeUpstream(deps([foreign, disabled]), ENV, APP, {})).toEqual({ kind: 'none' });
  });
});
