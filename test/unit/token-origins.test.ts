import { describe, expect, it } from 'vitest';
import { connectionResetTime } from '../../src/domain/idp-connections';
import { earliestIssuedAt } from '../../src/domain/revoking-resets';
import { endUserStands, originStillStands, type TokenOriginDeps } from '../../src/domain/token-origins';

/** The origin rules of introspection over in-memory records: what makes a client or end-user JWT inactive. */

const ENV = 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa';

function deps(records: {
  clients?: Record<string, { protocol: 'oidc' | 'saml'; applicationId: string }>;
  applications?: string[];
  users?: Record<string, string | { idpConnectionId: string; disabled?: boolean; tokensValidAfter?: string }>;
  connections?: { id: string; enabled: boolean; tokensValidAfter?: string }[];
}) {
  const asked: string[] = [];
  /** Notes what was asked for and answers it. */
  const answer = <T>(question: string, value: T): T => {
    asked.push(question);
    return value;
  };
  const origins = {
    clients: { getClient: async (_env: string, id: string) => answer(`client ${id}`, records.clients?.[id]) },
    applications: { getApplication: async (_env: string, id: string) => answer(`application ${id}`, records.applications?.includes(id) ? { id } : undefined) },
    users: {
      getUser: async (_env: string, id: string) => {
        const user = records.users?.[id];
        return answer(`user ${id}`, typeof user === 'string' ? { idpConnectionId: user } : user);
      },
    },
    connections: { listIdpConnections: async () => answer('connections', records.connections ?? []) },
  } as unknown as TokenOriginDeps;
  return { origins, asked };
}

const client = { subjectType: 'Client', sub: 'cl_1', applicationId: 'app_1' };
const ISSUED_AT = Date.parse('2026-05-01T12:00:00.000Z') / 1000;
const endUser = { subjectType: 'EndUserAccount', sub: 'usr_1', applicationId: 'app_1', iat: ISSUED_AT };
const codeFlowToken = { ...endUser, client_id: `cl_aaaaaaaaaaaaaaaaaaaaaaaaaa@${ENV}` };
const standing = { applications: ['app_1'], connections: [{ id: 'idp_1', enabled: true }] };

describe('whether a token’s origin still stands', () => {
  it('holds for a client token whose client and application exist', async () => {
    const { origins } = deps({ clients: { cl_1: { protocol: 'oidc', applicationId: 'app_1' } }, applications: ['app_1'] });
    expect(await originStillStands(origins, ENV, client)).toBe(true);
  });

  it.each([
    ['the client is deleted', { applications: ['app_1'] }],
    ['the application is deleted', { clients: { cl_1: { protocol: 'oidc' as const, applicationId: 'app_1' } } }],
    ['the client now belongs to another application', { clients: { cl_1: { protocol: 'oidc' as const, applicationId: 'app_2' } }, applications: ['app_1', 'app_2'] }],
    ['the ID names a SAML client', { clients: { cl_1: { protocol: 'saml' as const, applicationId: 'app_1' } }, applications: ['app_1'] }],
  ])('fails for a client token when %s', async (_name, records) => {
    expect(await originStillStands(deps(records).origins, ENV, client)).toBe(false);
  });

  it('holds for an end-user token while its application, user and enabled connection exist', async () => {
    const { origins } = deps({ applications: ['app_1'], users: { usr_1: 'idp_1' }, connections: [{ id: 'idp_1', enabled: true }] });
    expect(await originStillStands(origins, ENV, endUser)).toBe(true);
  });

  it.each([
    ['the connection is disabled', { applications: ['app_1'], users: { usr_1: 'idp_1' }, connections: [{ id: 'idp_1', enabled: false }] }],
    ['the connection is deleted (another one exists)', { applications: ['app_1'], users: { usr_1: 'idp_1' }, connections: [{ id: 'idp_2', enabled: true }] }],
    ['the application is deleted', { users: { usr_1: 'idp_1' }, connections: [{ id: 'idp_1', enabled: true }] }],
    ['the user is gone', { applications: ['app_1'], connections: [{ id: 'idp_1', enabled: true }] }],
    ['the user is disabled', { ...standing, users: { usr_1: { idpConnectionId: 'idp_1', disabled: true } } }],
    ['the user signed out everywhere in the second of its iat', { ...standing, users: { usr_1: { idpConnectionId: 'idp_1', tokensValidAfter: '2026-05-01T12:00:00.999Z' } } }],
    ['the user signed out everywhere after its iat', { ...standing, users: { usr_1: { idpConnectionId: 'idp_1', tokensValidAfter: '2026-05-01T12:05:00.000Z' } } }],
    [
      'its IDP connection was disabled in the second of its iat, though enabled again',
      { ...standing, users: { usr_1: 'idp_1' }, connections: [{ id: 'idp_1', enabled: true, tokensValidAfter: '2026-05-01T12:00:00.500Z' }] },
    ],
  ])('fails for an end-user token when %s', async (_name, records) => {
    expect(await originStillStands(deps(records).origins, ENV, endUser)).toBe(false);
  });

  it('holds for an end-user token issued after the user last signed out everywhere', async () => {
    const { origins } = deps({ ...standing, users: { usr_1: { idpConnectionId: 'idp_1', tokensValidAfter: '2026-05-01T11:59:59.999Z' } } });
    expect(await originStillStands(origins, ENV, endUser)).toBe(true);
  });

  it('holds for an end-user token issued after its IDP connection was last disabled and enabled again', async () => {
    const connections = [{ id: 'idp_1', enabled: true, tokensValidAfter: '2026-05-01T11:59:59.999Z' }];
    expect(await originStillStands(deps({ ...standing, users: { usr_1: 'idp_1' }, connections }).origins, ENV, endUser)).toBe(true);
  });

  it('refuses, once its connection is disabled in the same second, a token dated after a sign-out in that second', () => {
    const signedOut = '2026-05-01T12:00:00.300Z';
    const user = { idpConnectionId: 'idp_1', tokensValidAfter: signedOut } as never;
    const datedAfter = earliestIssuedAt({ tokensValidAfter: signedOut }, Date.parse('2026-05-01T12:00:00.400Z'));
    const disabled = new Date(connectionResetTime({}, Date.parse('2026-05-01T12:00:00.600Z'))).toISOString();
    expect(endUserStands({ user, connections: [{ id: 'idp_1', enabled: true } as never] }, datedAfter)).toBe(true);
    expect(endUserStands({ user, connections: [{ id: 'idp_1', enabled: true, tokensValidAfter: disabled } as never] }, datedAfter)).toBe(false);
  });

  it('holds for an end-user token issued to a client only while that OIDC client exists in the application', async () => {
    const users = { usr_1: 'idp_1' };
    const client = { cl_aaaaaaaaaaaaaaaaaaaaaaaaaa: { protocol: 'oidc' as const, applicationId: 'app_1' } };
    expect(await originStillStands(deps({ ...standing, users, clients: client }).origins, ENV, codeFlowToken)).toBe(true);
    expect(await originStillStands(deps({ ...standing, users }).origins, ENV, codeFlowToken)).toBe(false);
    const moved = { cl_aaaaaaaaaaaaaaaaaaaaaaaaaa: { protocol: 'oidc' as const, applicationId: 'app_2' } };
    expect(await originStillStands(deps({ ...standing, users, clients: moved }).origins, ENV, codeFlowToken)).toBe(false);
    expect(await originStillStands(deps({ ...standing, users, clients: client }).origins, ENV, { ...endUser, client_id: 'not a client ID' })).toBe(false);
  });

  it('fails for a client or end-user token without sub or applicationId, without looking anything up', async () => {
    const { origins, asked } = deps({});
    expect(await originStillStands(origins, ENV, { subjectType: 'Client', sub: 'cl_1' })).toBe(false);
    expect(await originStillStands(origins, ENV, { subjectType: 'EndUserAccount', applicationId: 'app_1' })).toBe(false);
    expect(await originStillStands(origins, ENV, { subjectType: 'EndUserAccount', sub: 'usr_1', applicationId: 'app_1' })).toBe(false);
    expect(asked).toEqual([]);
  });

  it('leaves service-account tokens to the account check', async () => {
    const { origins, asked } = deps({});
    expect(await originStillStands(origins, ENV, { subjectType: 'ServiceAccount', sub: 'sa_1' })).toBe(true);
    expect(asked).toEqual([]);
  });
});
