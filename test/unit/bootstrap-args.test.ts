import { describe, expect, it } from 'vitest';
import { formatCredentials, formatGrant, parseBootstrapArgs } from '../../bin/bootstrap';
import { UsageError } from '../../bin/command-line';

const TENANT_ID = 'ten_abcdefghijklmnopqrstuvwxyz';
const ADMIN = 'sa_abcdefghijklmnopqrstuvwxyz@env_abcdefghijklmnopqrstuvwxyz';

describe('npm run create-tenant: arguments', () => {
  it('reads every option', () => {
    expect(
      parseBootstrapArgs([
        '--stage',
        'prod',
        '--tenant',
        ' Acme Corp ',
        '--environment',
        'prod',
        '--tenant-id',
        TENANT_ID,
        '--admin-name',
        'Ops',
        '--function-name',
        'Latchkey-prod-Fn',
        '--region',
        'eu-west-1',
      ]),
    ).toEqual({
      stackName: 'Latchkey-prod',
      functionName: 'Latchkey-prod-Fn',
      region: 'eu-west-1',
      input: { tenantName: 'Acme Corp', environmentName: 'prod', tenantId: TENANT_ID, adminName: 'Ops' },
    });
  });

  it('defaults to the dev stage and accepts --name=value', () => {
    expect(parseBootstrapArgs(['--tenant=Acme', '--environment=dev'])).toEqual({
      stackName: 'Latchkey-dev',
      input: { tenantName: 'Acme', environmentName: 'dev' },
    });
  });

  it('answers help for --help', () => {
    expect(parseBootstrapArgs(['--help'])).toBe('help');
  });

  it.each([
    [['--environment', 'prod'], '--tenant is required'],
    [['--tenant', 'Acme'], '--environment is required'],
    [['--tenant', ' ', '--environment', 'prod'], '--tenant is required'],
    [['--tenant', 'Acme', '--environment', 'prod', '--stage', 'Prod!'], '--stage must be a lowercase name such as dev or prod, not "Prod!"'],
    [['--tenant', 'Acme', '--environment', 'prod', '--tenant-id', 'acme'], '--tenant-id must be a tenant ID (ten_ and 26 characters a-z, 2-7), not "acme"'],
    [['--tenant', 'Acme', '--environment', 'prod', '--admin-name', ''], '--admin-name must not be empty'],
    [['--tenent', 'Acme', '--environment', 'prod'], "Unknown option '--tenent'"],
    [['--tenant', 'Acme', '--environment', 'prod', 'extra'], "Unexpected argument 'extra'"],
    [['--tenant', '--environment', 'prod'], "Did you forget to specify the option argument for '--tenant'?"],
  ])('refuses %j: %s', (argv, message) => {
    const attempt = () => parseBootstrapArgs(argv);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });
});

describe('npm run create-tenant -- --grant-management-permissions: arguments', () => {
  it('asks for every built-in permission for the named account', () => {
    expect(parseBootstrapArgs(['--stage', 'prod', '--grant-management-permissions', ADMIN, '--region', 'eu-west-1'])).toEqual({
      stackName: 'Latchkey-prod',
      region: 'eu-west-1',
      input: { action: 'grant-management-permissions', clientId: ADMIN },
    });
  });

  it('asks for a named list, once each', () => {
    expect(parseBootstrapArgs([`--grant-management-permissions=${ADMIN}`, '--permissions', 'USERS_EDIT, AUDIT_READ,USERS_EDIT'])).toEqual({
      stackName: 'Latchkey-dev',
      input: { action: 'grant-management-permissions', clientId: ADMIN, permissions: ['USERS_EDIT', 'AUDIT_READ'] },
    });
  });

  it.each([
    [['--grant-management-permissions', 'sa_admin'], '--grant-management-permissions must be a service account\'s client ID (sa_…@env_…), not "sa_admin"'],
    [['--grant-management-permissions', ADMIN, '--tenant', 'Acme'], '--grant-management-permissions changes an existing account; it takes no --tenant'],
    [['--grant-management-permissions', ADMIN, '--environment', 'prod'], 'it takes no --environment'],
    [['--grant-management-permissions', ADMIN, '--permissions', 'USERS_EDIT,,AUDIT_READ'], 'not ""'],
    [['--grant-management-permissions', ADMIN, '--permissions', 'users_edit'], 'such as USERS_EDIT,AUDIT_READ, not "users_edit"'],
    [['--tenant', 'Acme', '--environment', 'prod', '--permissions', 'USERS_EDIT'], '--permissions goes with --grant-management-permissions'],
  ])('refuses %j: %s', (argv, message) => {
    const attempt = () => parseBootstrapArgs(argv);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });

  it('prints what was added', () => {
    const permissions = ['SERVICE_ACCOUNTS_READ', 'USERS_EDIT'];
    expect(formatGrant({ environmentId: 'env_x', clientId: ADMIN, added: ['USERS_EDIT'], permissions })).toContain('Added: USERS_EDIT');
    expect(formatGrant({ environmentId: 'env_x', clientId: ADMIN, added: [], permissions })).toContain('Nothing added');
  });
});

describe('npm run create-tenant: output', () => {
  it('prints the credentials once, with the warning to store the secret now', () => {
    const text = formatCredentials(
      { tenantId: TENANT_ID, environmentId: 'env_x', clientId: 'sa_y@env_x', clientSecret: 'lks_secret-value' },
      { tenantName: 'Acme', environmentName: 'prod' },
    );
    expect(text.split('lks_secret-value')).toHaveLength(2);
    expect(text).toContain('Client ID        sa_y@env_x');
    expect(text).toMatch(/Store the client secret now/);
    expect(text).toMatch(/cannot show it again/);
  });
});
