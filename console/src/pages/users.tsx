import { api, listAll } from '../api';
import { href } from '../router';
import { Json, LoadStatus, Page, useLoad } from '../ui';

interface EndUser {
  id: string;
  name?: string;
  email?: string;
  externalSubjectId?: string;
}

export function UsersPage() {
  const list = useLoad(() => listAll<EndUser>('/v1/users'));
  return (
    <Page title="End users">
      <LoadStatus of={list} />
      {list.data && list.data.length === 0 && <p>No end users yet: delegated tokens and logins create them.</p>}
      <ul>
        {(list.data ?? []).map((user) => (
          <li key={user.id}>
            <a href={href('users', user.id)}>{user.name ?? user.email ?? user.id}</a> <code>{user.id}</code>
          </li>
        ))}
      </ul>
    </Page>
  );
}

/** An end user with its profiles, the default one first (as the API answers them). */
export function UserPage({ id }: { id: string }) {
  const user = useLoad(() => api('GET', `/v1/users/${encodeURIComponent(id)}`), [id]);
  return (
    <Page title={`End user ${id}`}>
      <LoadStatus of={user} />
      {user.data !== undefined && <Json value={user.data} label="End user and profiles" />}
    </Page>
  );
}
