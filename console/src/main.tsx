import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { isSignedIn, onSignedOut, signInWithClientCredentials, signInWithPersonalAccessToken, signOut } from './api';
import { href, useRoute } from './router';
import { ActionButton, ActionError, Field, formSubmit, Page, Select, useAction } from './ui';
import { ApplicationPage, ApplicationsPage } from './pages/applications';
import { EnvironmentPage } from './pages/environment';
import { IdpConnectionsPage } from './pages/idp-connections';
import { ResourcesPage } from './pages/resources';
import { ServiceAccountPage, ServiceAccountsPage } from './pages/service-accounts';
import { TokenInspectorPage } from './pages/token-inspector';
import { UserPage, UsersPage } from './pages/users';
import { AuditLogPage } from './pages/audit-log';

const sections = [
  ['service-accounts', 'Service accounts'],
  ['resources', 'Resources'],
  ['environment', 'Environment'],
  ['applications', 'Applications'],
  ['idp-connections', 'IDP connection'],
  ['users', 'End users'],
  ['token-inspector', 'Token inspector'],
  ['audit-log', 'Audit log'],
] as const;

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const action = useAction();
  const [method, setMethod] = useState('Service account');
  const [clientId, setClientId] = useState('');
  const [secret, setSecret] = useState('');
  const submit = () =>
    action.run(async () => {
      // The secret leaves the form state whatever the answer: it is never kept after the token request.
      const given = secret;
      setSecret('');
      if (method === 'Service account') await signInWithClientCredentials(clientId.trim(), given);
      else await signInWithPersonalAccessToken(given);
      onSignedIn();
    });
  return (
    <Page title="Sign in">
      <form onSubmit={formSubmit(submit)} aria-label="Sign in">
        <Select label="Sign in with" name="method" value={method} options={['Service account', 'Personal access token']} onChange={setMethod} />
        {method === 'Service account' && <Field label="Client ID" name="clientId" value={clientId} onInput={setClientId} autoComplete="username" required />}
        <Field
          label={method === 'Service account' ? 'Client secret' : 'Personal access token'}
          name="secret"
          type="password"
          value={secret}
          onInput={setSecret}
          autoComplete="current-password"
          hint="The token is kept in this tab's memory only; reloading the page signs you out."
          required
        />
        <ActionButton type="submit" busy={action.busy}>
          Sign in
        </ActionButton>
        <ActionError action={action} />
      </form>
    </Page>
  );
}

function Content({ route }: { route: string[] }) {
  const [section, id] = route;
  switch (section) {
    case 'service-accounts':
      return id ? <ServiceAccountPage id={id} /> : <ServiceAccountsPage />;
    case 'resources':
      return <ResourcesPage />;
    case 'environment':
      return <EnvironmentPage />;
    case 'applications':
      return id ? <ApplicationPage id={id} /> : <ApplicationsPage />;
    case 'idp-connections':
      return <IdpConnectionsPage />;
    case 'users':
      return id ? <UserPage id={id} /> : <UsersPage />;
    case 'token-inspector':
      return <TokenInspectorPage />;
    case 'audit-log':
      return <AuditLogPage />;
    default:
      return <ServiceAccountsPage />;
  }
}

function App() {
  const [signedIn, setSignedIn] = useState(isSignedIn());
  const route = useRoute();
  useEffect(() => onSignedOut(() => setSignedIn(false)), []);
  // Move focus to the new page's heading, so keyboard and screen-reader users follow navigation.
  useEffect(() => document.querySelector<HTMLElement>('main h1')?.focus(), [route.join('/'), signedIn]);
  const current = route[0] ?? 'service-accounts';
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span class="brand">Latchkey console</span>
        {signedIn && (
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <div class="layout">
        {signedIn && (
          <nav aria-label="Sections">
            <ul>
              {sections.map(([key, label]) => (
                <li key={key}>
                  <a href={href(key)} aria-current={current === key ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main id="main">
          {signedIn || current === 'token-inspector' ? signedIn ? <Content route={route} /> : <TokenInspectorPage /> : <SignIn onSignedIn={() => setSignedIn(true)} />}
        </main>
      </div>
    </>
  );
}

render(<App />, document.getElementById('app')!);
