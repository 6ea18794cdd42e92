import { useState } from 'preact/hooks';
import { api, itemsOf, listAll } from '../api';
import { decodeToken } from '../jwt';
import { go, href } from '../router';
import { ActionButton, ActionError, Checkbox, DeleteButton, Field, formSubmit, Json, LoadStatus, optionalNumber, Page, SecretOnce, Select, useAction, useLoad } from '../ui';
import { PersonalAccessTokens } from './personal-access-tokens';
import { ServiceAccountKeys } from './service-account-keys';

interface ServiceAccount {
  id: string;
  name: string;
  clientId: string;
  description?: string;
  disabled?: boolean;
}
interface Resource {
  key: string;
  name?: string;
  permissions?: string[];
}
interface Grant {
  resource: string;
  permissions: string[];
}

export function ServiceAccountsPage() {
  const list = useLoad(() => listAll<ServiceAccount>('/v1/service-accounts'));
  const create = useAction();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [opaque, setOpaque] = useState(false);
  const [created, setCreated] = useState<{ id: string; clientId: string; clientSecret: string } | undefined>();

  const submit = () =>
    create.run(async () => {
      const answer = await api<{ id: string; clientId: string; clientSecret: string }>('POST', '/v1/service-accounts', {
        name,
        ...(description ? { description } : {}),
        ...(opaque ? { accessTokenType: 'opaque' } : {}),
      });
      setCreated(answer);
      setName('');
      setDescription('');
      list.reload();
    });

  return (
    <Page title="Service accounts">
      {created && (
        <div>
          <p>
            Created <a href={href('service-accounts', created.id)}>{created.id}</a>, client ID <code>{created.clientId}</code>.
          </p>
          <SecretOnce label="Client secret" value={created.clientSecret} onDismiss={() => setCreated(undefined)} />
        </div>
      )}
      <form onSubmit={formSubmit(submit)} aria-label="Create a service account">
        <h2>Create a service account</h2>
        <Field label="Name" name="name" value={name} onInput={setName} error={create.fieldError('name')} required />
        <Field label="Description" name="description" value={description} onInput={setDescription} error={create.fieldError('description')} />
        <Checkbox label="Opaque access tokens (introspected) instead of JWTs" checked={opaque} onChange={setOpaque} />
        <ActionButton type="submit" busy={create.busy}>
          Create service account
        </ActionButton>
        <ActionError action={create} />
      </form>
      <h2>Accounts</h2>
      <LoadStatus of={list} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Client ID</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((account) => (
            <tr key={account.id}>
              <td>
                <a href={href('service-accounts', account.id)}>{account.name}</a>
              </td>
              <td>
                <code>{account.clientId}</code>
              </td>
              <td>{account.disabled ? 'disabled' : 'enabled'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}

export function ServiceAccountPage({ id }: { id: string }) {
  const account = useLoad(() => api<ServiceAccount>('GET', `/v1/service-accounts/${encodeURIComponent(id)}`), [id]);
  const change = useAction();
  const path = `/v1/service-accounts/${encodeURIComponent(id)}`;
  return (
    <Page title={`Service account ${account.data?.name ?? id}`}>
      <LoadStatus of={account} />
      {account.data && <Json value={account.data} label="Service account" />}
      <div class="row">
        <ActionButton
          busy={change.busy}
          onClick={() =>
            change.run(async () => {
              const disabling = !account.data?.disabled;
              if (disabling && !confirm(`Disable service account ${account.data?.name ?? id}? It gets no token until it is enabled again.`)) return;
              await api('PATCH', path, { disabled: disabling });
              account.reload();
            })
          }
        >
          {account.data?.disabled ? 'Enable' : 'Disable'}
        </ActionButton>
        <DeleteButton
          action={change}
          path={path}
          confirmation={`Delete service account ${account.data?.name ?? id}? Its tokens stop working at once.`}
          then={() => go('service-accounts')}
        >
          Delete service account
        </DeleteButton>
      </div>
      <ActionError action={change} />
      <ResetSecret path={path} />
      <PermissionEditor path={path} />
      <MintToken path={path} />
      <PersonalAccessTokens accountPath={path} />
      <ServiceAccountKeys accountPath={path} />
    </Page>
  );
}

function ResetSecret({ path }: { path: string }) {
  const reset = useAction();
  const [grace, setGrace] = useState('');
  const [revokeTokens, setRevokeTokens] = useState(false);
  const [secret, setSecret] = useState<string | undefined>();
  return (
    <form
      aria-label="Reset the secret"
      onSubmit={formSubmit(() =>
        reset.run(async () => {
          // Revoking is for a leaked secret, which stops at once: the server refuses a grace period with it.
          const gracePeriodSeconds = revokeTokens ? undefined : optionalNumber(grace);
          const answer = await api<{ clientSecret: string }>('POST', `${path}/secret`, {
            ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
            ...(revokeTokens ? { revokeTokens } : {}),
          });
          setSecret(answer.clientSecret);
        }),
      )}
    >
      <h2>Reset the secret</h2>
      <Checkbox label="Revoke every token issued before the reset" checked={revokeTokens} onChange={setRevokeTokens} />
      {revokeTokens ? (
        <p>The old secret stops at once: a reset that revokes tokens has no grace period.</p>
      ) : (
        <Field
          label="Grace period (seconds)"
          name="gracePeriodSeconds"
          type="number"
          value={grace}
          onInput={setGrace}
          hint="The old secret keeps working this long (at most seven days); empty stops it at once."
          error={reset.fieldError('gracePeriodSeconds')}
        />
      )}
      <ActionButton type="submit" busy={reset.busy}>
        Reset secret
      </ActionButton>
      <ActionError action={reset} />
      {secret && <SecretOnce label="New client secret" value={secret} onDismiss={() => setSecret(undefined)} />}
    </form>
  );
}

/** Every resource with each of its permissions as a checkbox; saving replaces the account's grants. */
function PermissionEditor({ path }: { path: string }) {
  const data = useLoad(
    () =>
      Promise.all([api('GET', '/v1/resources').then((answer) => itemsOf<Resource>(answer)), api<{ grants: Grant[] }>('GET', `${path}/permissions`)]).then(
        ([resources, current]) => ({
          resources,
          granted: new Set(current.grants.flatMap((grant) => grant.permissions.map((permission) => `${grant.resource}\u0000${permission}`))),
        }),
      ),
    [path],
  );
  const save = useAction();
  const [granted, setGranted] = useState<Set<string> | undefined>();
  const [saved, setSaved] = useState(false);
  const current = granted ?? data.data?.granted ?? new Set<string>();
  const toggle = (key: string, on: boolean) => {
    const next = new Set(current);
    if (on) next.add(key);
    else next.delete(key);
    setGranted(next);
    setSaved(false);
  };
  const submit = () =>
    save.run(async () => {
      const grants: Grant[] = [];
      for (const resource of data.data?.resources ?? []) {
        const permissions = (resource.permissions ?? []).filter((permission) => current.has(`${resource.key}\u0000${permission}`));
        if (permissions.length > 0) grants.push({ resource: resource.key, permissions });
      }
      await api('PUT', `${path}/permissions`, { grants });
      setSaved(true);
    });
  return (
    <form aria-label="Permissions" onSubmit={formSubmit(submit)}>
      <h2>Permissions</h2>
      <LoadStatus of={data} />
      {(data.data?.resources ?? []).map((resource) => (
        <fieldset key={resource.key}>
          <legend>
            {resource.name ?? resource.key} (<code>{resource.key}</code>)
          </legend>
          {(resource.permissions ?? []).length === 0 && <p>No permissions defined.</p>}
          {(resource.permissions ?? []).map((permission) => {
            const key = `${resource.key}\u0000${permission}`;
            return <Checkbox key={key} label={`${resource.key}: ${permission}`} checked={current.has(key)} onChange={(on) => toggle(key, on)} />;
          })}
        </fieldset>
      ))}
      <ActionButton type="submit" busy={save.busy}>
        Save permissions
      </ActionButton>
      <span role="status">{saved ? 'Permissions saved' : ''}</span>
      <ActionError action={save} />
    </form>
  );
}

function MintToken({ path }: { path: string }) {
  const resources = useLoad(() => api('GET', '/v1/resources').then((answer) => itemsOf<Resource>(answer)));
  const mint = useAction();
  const [resource, setResource] = useState('(default)');
  const [token, setToken] = useState<string | undefined>();
  return (
    <form
      aria-label="Mint a test token"
      onSubmit={formSubmit(() =>
        mint.run(async () => {
          const answer = await api<{ accessToken?: string; access_token?: string }>('POST', `${path}/access-tokens`, resource === '(default)' ? {} : { resource });
          setToken(answer.accessToken ?? answer.access_token);
        }),
      )}
    >
      <h2>Mint a test token</h2>
      <Select label="Resource" name="resource" value={resource} options={['(default)', ...(resources.data ?? []).map((item) => item.key)]} onChange={setResource} />
      <ActionButton type="submit" busy={mint.busy}>
        Mint token
      </ActionButton>
      <ActionError action={mint} />
      {token && <DecodedToken token={token} />}
    </form>
  );
}

export function DecodedToken({ token }: { token: string }) {
  const decoded = decodeToken(token);
  if (!decoded) {
    return (
      <p>
        An opaque token (<code>{token.slice(0, 8)}…</code>): it means something only through introspection.
      </p>
    );
  }
  return (
    <div class="claims">
      <h3>Token claims</h3>
      <Json value={decoded.claims} label="Token claims" />
      <h3>Header</h3>
      <Json value={decoded.header} label="Token header" />
    </div>
  );
}
