import { useState } from 'preact/hooks';
import { api, itemsOf } from '../api';
import { ActionButton, ActionError, DeleteButton, Field, formSubmit, lines, LoadStatus, optionalNumber, Page, RecordView, useAction, useLoad } from '../ui';

interface Resource {
  key: string;
  name?: string;
  audience?: string;
  permissions?: string[];
  accessTokenTtlSeconds?: number;
  builtIn?: boolean;
}

export function ResourcesPage() {
  const list = useLoad(() => api('GET', '/v1/resources').then((answer) => itemsOf<Resource>(answer)));
  const create = useAction();
  const remove = useAction();
  const [key, setKey] = useState('');
  const [audience, setAudience] = useState('');
  const [permissions, setPermissions] = useState('');
  const [ttl, setTtl] = useState('');
  return (
    <Page title="Resources">
      <form
        aria-label="Create a resource"
        onSubmit={formSubmit(() =>
          create.run(async () => {
            const accessTokenTtlSeconds = optionalNumber(ttl);
            await api('POST', '/v1/resources', {
              key,
              ...(audience ? { audience } : {}),
              permissions: lines(permissions),
              ...(accessTokenTtlSeconds !== undefined ? { accessTokenTtlSeconds } : {}),
            });
            setKey('');
            setAudience('');
            setPermissions('');
            list.reload();
          }),
        )}
      >
        <h2>Create a resource</h2>
        <Field label="Key" name="key" value={key} onInput={setKey} error={create.fieldError('key')} required />
        <Field label="Audience (optional https URI)" name="audience" value={audience} onInput={setAudience} error={create.fieldError('audience')} />
        <Field label="Permissions (one per line)" name="permissions" multiline value={permissions} onInput={setPermissions} error={create.fieldError('permissions')} />
        <Field label="Access token lifetime (seconds)" name="accessTokenTtlSeconds" type="number" value={ttl} onInput={setTtl} error={create.fieldError('accessTokenTtlSeconds')} />
        <ActionButton type="submit" busy={create.busy}>
          Create resource
        </ActionButton>
        <ActionError action={create} />
      </form>
      <h2>Resources</h2>
      <LoadStatus of={list} />
      {(list.data ?? []).map((resource) => (
        <ResourceRow key={resource.key} resource={resource} onChanged={list.reload} />
      ))}
      <ActionError action={remove} />
    </Page>
  );
}

function ResourceRow({ resource, onChanged }: { resource: Resource; onChanged: () => void }) {
  const save = useAction();
  const [permissions, setPermissions] = useState((resource.permissions ?? []).join('\n'));
  const path = `/v1/resources/${encodeURIComponent(resource.key)}`;
  return (
    <details>
      <summary>
        {resource.name ?? resource.key} <code>{resource.audience}</code>
      </summary>
      <RecordView value={resource} label={`Resource ${resource.key}`} />
      {resource.key !== 'latchkey' && (
        <form
          aria-label={`Edit resource ${resource.key}`}
          onSubmit={formSubmit(() =>
            save.run(async () => {
              await api('PATCH', path, { permissions: lines(permissions) });
              onChanged();
            }),
          )}
        >
          <Field label={`Permissions of ${resource.key} (one per line)`} multiline value={permissions} onInput={setPermissions} error={save.fieldError('permissions')} />
          <div class="row">
            <ActionButton type="submit" busy={save.busy}>
              Save {resource.key}
            </ActionButton>
            <DeleteButton action={save} path={path} confirmation={`Delete resource ${resource.key}?`} then={() => onChanged()}>
              Delete {resource.key}
            </DeleteButton>
          </div>
          <ActionError action={save} />
        </form>
      )}
    </details>
  );
}
