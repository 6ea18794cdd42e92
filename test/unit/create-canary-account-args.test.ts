import { describe, expect, it } from 'vitest';
import { UsageError } from '../../bin/command-line';
import { parseCanaryAccountArgs } from '../../bin/create-canary-account';

describe('npm run create-canary-account', () => {
  const admin = { LATCHKEY_ADMIN_CLIENT_ID: 'sa_admin', LATCHKEY_ADMIN_CLIENT_SECRET: 'lks_secret' };

  it("stores the account in the stage's canary secret, with the administrator's credentials from the environment", () => {
    expect(parseCanaryAccountArgs(['--issuer', 'https://id.example.com/', '--stage', 'prod', '--region', 'eu-west-1'], admin)).toEqual({
      issuer: 'https://id.example.com',
      secretName: 'latchkey/prod/canary',
      accountName: 'canary',
      admin: { clientId: 'sa_admin', clientSecret: 'lks_secret' },
      region: 'eu-west-1',
    });
    expect(parseCanaryAccountArgs(['--issuer', 'http://localhost:4000', '--name', 'probe'], admin)).toMatchObject({ secretName: 'latchkey/dev/canary', accountName: 'probe' });
  });

  it('refuses a missing or plain-http issuer, impossible stages and missing administrator credentials with a usage error', () => {
    expect(() => parseCanaryAccountArgs([], admin)).toThrow(/--issuer is required/);
    expect(() => parseCanaryAccountArgs(['--issuer', 'http://id.example.com'], admin)).toThrow(/must be an https URL/);
    expect(() => parseCanaryAccountArgs(['--issuer', 'not a url'], admin)).toThrow(/--issuer must be a URL/);
    expect(() => parseCanaryAccountArgs(['--issuer', 'https://id.example.com', '--stage', 'Prod!'], admin)).toThrow(/--stage must be a lowercase name/);
    expect(() => parseCanaryAccountArgs(['--issuer', 'https://id.example.com'], {})).toThrow(/LATCHKEY_ADMIN_CLIENT_ID and LATCHKEY_ADMIN_CLIENT_SECRET/);
    expect(() => parseCanaryAccountArgs(['--secret', 'x'], admin)).toThrow(UsageError);
    expect(parseCanaryAccountArgs(['--help'], {})).toBe('help');
  });
});
