import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ActionButton, ActionError, Field, formSubmit, Json, LoadStatus, optionalNumber, Page, useAction, useLoad } from '../ui';

interface Environment {
  id: string;
  name: string;
  serviceAccountTokenTtlSeconds?: number;
  personalAccessTokenMaxLifetimeSeconds?: number;
}

export function EnvironmentPage() {
  const environment = useLoad(() => api<Environment>('GET', '/v1/environment'));
  const save = useAction();
  const [name, setName] = useState('');
  const [ttl, setTtl] = useState('');
  const [patMaxLifetime, setPatMaxLifetime] = useState('');
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!environment.data) return;
    setName(environment.data.name);
    setTtl(String(environment.data.serviceAccountTokenTtlSeconds ?? ''));
    setPatMaxLifetime(String(environment.data.personalAccessTokenMaxLifetimeSeconds ?? ''));
  }, [environment.data]);
  return (
    <Page title="Environment">
      <LoadStatus of={environment} />
      {environment.data && <Json value={environment.data} label="Environment" />}
      <form
        aria-label="Environment settings"
        onSubmit={formSubmit(() =>
          save.run(async () => {
            const serviceAccountTokenTtlSeconds = optionalNumber(ttl);
            const personalAccessTokenMaxLifetimeSeconds = optionalNumber(patMaxLifetime);
            await api('PATCH', '/v1/environment', {
              name,
              ...(serviceAccountTokenTtlSeconds !== undefined ? { serviceAccountTokenTtlSeconds } : {}),
              ...(personalAccessTokenMaxLifetimeSeconds !== undefined ? { personalAccessTokenMaxLifetimeSeconds } : {}),
            });
            setSaved(true);
            environment.reload();
          }),
        )}
      >
        <Field label="Name" name="name" value={name} onInput={setName} error={save.fieldError('name')} />
        <Field
          label="Service-account token lifetime (seconds)"
          name="serviceAccountTokenTtlSeconds"
          type="number"
          value={ttl}
          onInput={setTtl}
          hint="30 seconds to a day; applies to the next token."
          error={save.fieldError('serviceAccountTokenTtlSeconds')}
        />
        <Field
          label="Personal access token maximum lifetime (seconds)"
          name="personalAccessTokenMaxLifetimeSeconds"
          type="number"
          value={patMaxLifetime}
          onInput={setPatMaxLifetime}
          hint="An hour to a year (3600 to 31536000); new tokens expire at most this long after they are made, and get it when no expiry is asked for."
          error={save.fieldError('personalAccessTokenMaxLifetimeSeconds')}
        />
        <ActionButton type="submit" busy={save.busy}>
          Save settings
        </ActionButton>
        <span role="status">{saved ? 'Settings saved' : ''}</span>
        <ActionError action={save} />
      </form>
    </Page>
  );
}
