import { api, itemsOf, listAll } from '../api';
import { go, href } from '../router';
import { ActionButton, ActionError, DeleteButton, LoadStatus, Page, RecordView, useAction, useLoad } from '../ui';

interface EndUser {
  id: string;
  name?: string;
  email?: string;
  emailVerified?: boolean;
  disabled?: boolean;
  idpConnectionId?: string;
  subjectId?: string | number;
}

interface Session {
  id: string;
  authenticatedAt: string;
  expiresAt: string;
  clients: string[];
}

export function UsersPage() {
  const list = useLoad(() => listAll<EndUser>('/v1/users'));
  return (
    <Page title="End users">
      <LoadStatus of={list} />
      {list.data && list.data.length === 0 && <p>No end users yet: delegated tokens and logins create them.</p>}
      {list.data && list.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((user) => (
              <tr key={user.id}>
                <td>
                  <a href={href('users', user.id)}>{user.name ?? user.email ?? user.id}</a>
                </td>
                <td>
                  <code>{user.id}</code>
                </td>
                <td>{user.disabled ? 'disabled' : 'enabled'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

/**
 * An end user with its profiles (the default one first, as the API answers them) and its sessions:
 * disable or enable it, sign it out of one session or everywhere, delete it.
 */
export function UserPage({ id }: { id: string }) {
  const path = `/v1/users/${encodeURIComponent(id)}`;
  const user = useLoad(() => api<EndUser>('GET', path), [id]);
  const sessions = useLoad(() => api('GET', `${path}/sessions`).then((answer) => itemsOf<Session>(answer)), [id]);
  const change = useAction();
  const reload = () => {
    user.reload();
    sessions.reload();
  };
  const named = user.data?.name ?? user.data?.email ?? id;
  return (
    <Page title={`End user ${named}`}>
      <LoadStatus of={user} />
      {user.data?.idpConnectionId !== undefined && (
        <p>
          Signs in through IDP connection <a href={href('idp-connections')}>{user.data.idpConnectionId}</a> as subject <code>{String(user.data.subjectId)}</code> there.
        </p>
      )}
      {user.data?.email !== undefined && (
        <p>
          Email <code>{user.data.email}</code>:{' '}
          {user.data.emailVerified === undefined
            ? 'no identity provider said whether it is verified'
            : user.data.emailVerified
              ? 'verified by the identity provider'
              : 'not verified by the identity provider'}
          .
        </p>
      )}
      {user.data !== undefined && <RecordView value={user.data} label="End user and profiles" />}
      <div class="row">
        <ActionButton
          busy={change.busy}
          onClick={() =>
            change.run(async () => {
              if (!user.data?.disabled && !confirm(`Disable ${named}? Its sessions end and every token it holds stops working; enabling it again brings none back.`)) return;
              await api('PATCH', path, { disabled: !user.data?.disabled });
              reload();
            })
          }
        >
          {user.data?.disabled ? 'Enable' : 'Disable'}
        </ActionButton>
        <ActionButton
          busy={change.busy}
          onClick={() =>
            change.run(async () => {
              if (!confirm(`Sign ${named} out everywhere? Every session ends and every token it holds stops working.`)) return;
              await api('DELETE', `${path}/sessions`);
              reload();
            })
          }
        >
          Sign out everywhere
        </ActionButton>
        <DeleteButton
          action={change}
          path={path}
          confirmation={`Delete the end user ${named} with its profiles, sessions and consents? Its tokens stop working at once.`}
          then={() => go('users')}
        >
          Delete end user
        </DeleteButton>
      </div>
      <ActionError action={change} />
      <h2>Sessions</h2>
      <LoadStatus of={sessions} />
      {sessions.data && sessions.data.length === 0 && <p>No live sessions.</p>}
      {sessions.data && sessions.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Signed in</th>
              <th scope="col">Expires</th>
              <th scope="col">Clients</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.map((session) => (
              <tr key={session.id}>
                <td>
                  <code>{session.id}</code>
                </td>
                <td>{session.authenticatedAt}</td>
                <td>{session.expiresAt}</td>
                <td>
                  {session.clients.map((client) => (
                    <code key={client}>{client} </code>
                  ))}
                </td>
                <td>
                  <DeleteButton
                    action={change}
                    path={`${path}/sessions/${encodeURIComponent(session.id)}`}
                    confirmation={`End the session ${session.id} of ${named}?`}
                    then={reload}
                  >
                    End session <span class="visually-hidden">{session.id}</span>
                  </DeleteButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
