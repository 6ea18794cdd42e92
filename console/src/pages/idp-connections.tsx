import { useState } from 'preact/hooks';
import { api, itemsOf } from '../api';
import { ApplicationPicker } from '../application-picker';
import { ActionButton, ActionError, Checkbox, DeleteButton, Field, formSubmit, LoadStatus, Page, RecordView, useAction, useLoad } from '../ui';

interface IdpConnection {
  id: string;
  name?: string;
  type: string;
  enabled: boolean;
  applicationIds: string[];
}

/** The environment's delegated IDP connection: one at most, assigned to applications. */
export function IdpConnectionsPage() {
  const list = useLoad(() => api('GET', '/v1/idp-connections').then((answer) => itemsOf<IdpConnection>(answer)));
  const create = useAction();
  const [name, setName] = useState('');
  const [applicationIds, setApplicationIds] = useState<string[]>([]);
  return (
    <Page title="IDP connection">
      <LoadStatus of={list} />
      {(list.data ?? []).map((connection) => (
        <ConnectionEditor key={connection.id} connection={connection} onChanged={list.reload} />
      ))}
      {list.data && list.data.length === 0 && (
        <form
          aria-label="Create the delegated IDP connection"
          onSubmit={formSubmit(() =>
            create.run(async () => {
              await api('POST', '/v1/idp-connections', { type: 'delegated', ...(name ? { name } : {}), applicationIds });
              list.reload();
            }),
          )}
        >
          <h2>Create the delegated IDP connection</h2>
          <Field label="Name" name="name" value={name} onInput={setName} error={create.fieldError('name')} />
          <ApplicationPicker legend="Applications" value={applicationIds} onChange={setApplicationIds} error={create.fieldError('applicationIds')} />
          <ActionButton type="submit" busy={create.busy}>
            Create connection
          </ActionButton>
          <ActionError action={create} />
        </form>
      )}
    </Page>
  );
}

function ConnectionEditor({ connection, onChanged }: { connection: IdpConnection; onChanged: () => void }) {
  const save = useAction();
  const [enabled, setEnabled] = useState(connection.enabled);
  const [applicationIds, setApplicationIds] = useState(connection.applicationIds);
  const path = `/v1/idp-connections/${encodeURIComponent(connection.id)}`;
  return (
    <form
      aria-label={`IDP connection ${connection.id}`}
      onSubmit={formSubmit(() =>
        save.run(async () => {
          await api('PATCH', path, { enabled, applicationIds });
          onChanged();
        }),
      )}
    >
      <RecordView value={connection} label="IDP connection" />
      <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
      <ApplicationPicker legend="Assigned applications" value={applicationIds} onChange={setApplicationIds} error={save.fieldError('applicationIds')} />
      <div class="row">
        <ActionButton type="submit" busy={save.busy}>
          Save connection
        </ActionButton>
        <DeleteButton action={save} path={path} confirmation={'Delete the IDP connection? Its subjects become new users under a new one.'} then={() => onChanged()}>
          Delete connection
        </DeleteButton>
      </div>
      <ActionError action={save} />
    </form>
  );
}
