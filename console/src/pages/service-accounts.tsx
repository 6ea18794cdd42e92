import { useState } from 'preact/hooks';
import { api, itemsOf, listAll } from '../api';
import { decodeToken } from '../jwt';
import { go, href } from '../router';
import {
  ActionButton,
  ActionError,
  Checkbox,
  DeleteButton,
  Field,
  formSubmit,
  Json,
  LoadStatus,
  optionalNumber,
  Page,
  RecordView,
  SecretOnce,
  Select,
  useAction,
  useLoad,
} from '../ui';
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
      {account.data && <RecordView value={account.data} label="Service account" />}
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
      <PermissionEditor path={path} onSaved={account.reload} />
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

const grantKey = (resource: string, permission: string) => `${resource}\u0000${permission}`;
const grantKeys = (grants: readonly Grant[]) => new Set(grants.flatMap((grant) => grant.permissions.map((permission) => grantKey(grant.resource, permission))));

/**
 * Every resource with each of its permissions as a checkbox; saving replaces the account's grants.
 * Beside them, the grants as stored: as the API last answered them (the read, then each save's
 * answer), never the form's own state, so a refused save leaves the stored grants in view. After a
 * save, `onSaved` lets the page read the account again (its record shows the grants too).
 */
function PermissionEditor({ path, onSaved }: { path: string; onSaved: () => void }) {
  const data = useLoad(
    () =>
      Promise.all([api('GET', '/v1/resources').then((answer) => itemsOf<Resource>(answer)), api<{ grants: Grant[] }>('GET', `${path}/permissions`)]).then(
        ([resources, current]) => ({ resources, grants: current.grants }),
      ),
    [path],
  );
  const save = useAction();
  const [answered, setAnswered] = useState<{ path: string; grants: Grant[] } | undefined>();
  const [edited, setEdited] = useState<Set<string> | undefined>();
  const [saved, setSaved] = useState(false);
  const stored = answered?.path === path ? answered.grants : (data.data?.grants ?? []);
  const current = edited ?? grantKeys(stored);
  const toggle = (key: string, on: boolean) => {
    const next = new Set(current);
    if (on) next.add(key);
    else next.delete(key);
    setEdited(next);
    setSaved(false);
  };
  const submit = () =>
    save.run(async () => {
      setSaved(false);
      const grants: Grant[] = [];
      for (const resource of data.data?.resources ?? []) {
        const permissions = (resource.permissions ?? []).filter((permission) => current.has(grantKey(resource.key, permission)));
        if (permissions.length > 0) grants.push({ resource: resource.key, permissions });
      }
      const answer = await api<{ grants: Grant[] }>('PUT', `${path}/permissions`, { grants });
      setAnswered({ path, grants: answer.grants });
      setEdited(undefined);
      setSaved(true);
      onSaved();
    });
  return (
    <form aria-label="Permissions" onSubmit={formSubmit(submit)}>
      <h2>Permissions</h2>
      <LoadStatus of={data} />
      <section aria-labelledby="stored-grants-title">
        <h3 id="stored-grants-title">Stored grants</h3>
        {data.data && stored.length === 0 && <p>None: the account holds no permission.</p>}
        {stored.length > 0 && (
          <dl class="fields">
            {stored.map((grant) => (
              <div key={grant.resource}>
                <dt>
                  <code>{grant.resource}</code>
                </dt>
                <dd>
                  <ul class="values">
                    {grant.permissions.map((permission) => (
                      <li key={permission}>
                        <code>{permission}</code>
                      </li>
                    ))}
                  </ul>
                </dd>
              </div>
            ))}
          </dl>
        )}
      </section>
      <h3>Change</h3>
      {(data.data?.resources ?? []).map((resource) => (
        <fieldset key={resource.key}>
          <legend>
            {resource.name ?? resource.key} (<code>{resource.key}</code>)
          </legend>
          {(resource.permissions ?? []).length === 0 && <p>No permissions defined.</p>}
          {(resource.permissions ?? []).map((permission) => {
            const key = grantKey(resource.key, permission);
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
