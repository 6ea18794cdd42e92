import { useState } from 'preact/hooks';
import { api, listAll } from '../api';
import { ActionButton, ActionError, DeleteButton, Field, formSubmit, LoadStatus, RecordView, SecretOnce, useAction, useLoad } from '../ui';

interface PersonalAccessToken {
  id: string;
  name?: string;
  expiresAt?: string;
  createdAt?: string;
}

/** A service account's personal access tokens: metadata, create (token shown once), revoke. */
export function PersonalAccessTokens({ accountPath }: { accountPath: string }) {
  const path = `${accountPath}/personal-access-tokens`;
  const list = useLoad(() => listAll<PersonalAccessToken>(path), [path]);
  const create = useAction();
  const remove = useAction();
  const [name, setName] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [token, setToken] = useState<string | undefined>();
  return (
    <section aria-labelledby="pats-title">
      <h2 id="pats-title">Personal access tokens</h2>
      <form
        aria-label="Create a personal access token"
        onSubmit={formSubmit(() =>
          create.run(async () => {
            const answer = await api<{ token: string }>('POST', path, { ...(name ? { name } : {}), ...(expiresAt ? { expiresAt } : {}) });
            setToken(answer.token);
            setName('');
            list.reload();
          }),
        )}
      >
        <Field label="Token name" name="patName" value={name} onInput={setName} error={create.fieldError('name')} />
        <Field
          label="Expires at (ISO 8601)"
          name="expiresAt"
          value={expiresAt}
          onInput={setExpiresAt}
          hint="e.g. 2030-01-31T12:00:00Z; empty for no expiry"
          error={create.fieldError('expiresAt')}
        />
        <ActionButton type="submit" busy={create.busy}>
          Create personal access token
        </ActionButton>
        <ActionError action={create} />
      </form>
      {token && <SecretOnce label="Personal access token" value={token} onDismiss={() => setToken(undefined)} />}
      <LoadStatus of={list} />
      <ul class="records">
        {(list.data ?? []).map((pat) => (
          <li key={pat.id}>
            <RecordView value={pat} label={`Personal access token ${pat.name ?? pat.id}`} />
            <DeleteButton
              action={remove}
              path={`${path}/${encodeURIComponent(pat.id)}`}
              confirmation={`Revoke personal access token ${pat.name ?? pat.id}? It stops working at once.`}
              then={() => list.reload()}
            >
              Revoke <span class="visually-hidden">{pat.name ?? pat.id}</span>
            </DeleteButton>
          </li>
        ))}
      </ul>
      <ActionError action={remove} />
    </section>
  );
}
