import { useState } from 'preact/hooks';
import { api, itemsOf } from '../api';
import { ApplicationPicker } from '../application-picker';
import { ActionButton, ActionError, Checkbox, DeleteButton, Field, formSubmit, lines, LoadStatus, Page, RecordView, Select, useAction, useLoad } from '../ui';

interface IdpConnection {
  id: string;
  name?: string;
  type: string;
  enabled: boolean;
  applicationIds: string[];
  emailDomains?: string[];
  linkByVerifiedEmail?: boolean;
  issuer?: string;
  clientId?: string;
  scopes?: string;
  claimMapping?: Partial<Record<'email' | 'email_verified' | 'name', string>>;
  redirectUri?: string;
  backchannelLogoutUri?: string;
}

/**
 * The connection types the console creates. A further upstream type adds its name here and its
 * fields to `UpstreamFields`' neighbour.
 */
const TYPES = ['oidc', 'delegated'] as const;

/** The OpenID Connect fields a form edits, as text. */
interface OidcText {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  emailClaim: string;
  nameClaim: string;
  emailVerifiedClaim: string;
}

const EMPTY_OIDC: OidcText = { issuer: '', clientId: '', clientSecret: '', scopes: '', emailClaim: '', nameClaim: '', emailVerifiedClaim: '' };

/** The request fields of an OIDC form; on an update, only what was filled in (an empty secret keeps the stored one). */
function oidcBody(text: OidcText, update: boolean): Record<string, unknown> {
  const mapping = {
    ...(text.emailClaim ? { email: text.emailClaim } : {}),
    ...(text.nameClaim ? { name: text.nameClaim } : {}),
    ...(text.emailVerifiedClaim ? { email_verified: text.emailVerifiedClaim } : {}),
  };
  return {
    ...(text.issuer || !update ? { issuer: text.issuer } : {}),
    ...(text.clientId || !update ? { clientId: text.clientId } : {}),
    ...(text.clientSecret ? { clientSecret: text.clientSecret } : {}),
    ...(text.scopes ? { scopes: text.scopes } : {}),
    ...(Object.keys(mapping).length > 0 ? { claimMapping: mapping } : {}),
  };
}

/** The environment's IDP connections: the delegated one, and upstream OpenID providers. */
export function IdpConnectionsPage() {
  const list = useLoad(() => api('GET', '/v1/idp-connections').then((answer) => itemsOf<IdpConnection>(answer)));
  const create = useAction();
  const [type, setType] = useState<string>('oidc');
  const [name, setName] = useState('');
  const [applicationIds, setApplicationIds] = useState<string[]>([]);
  const [emailDomains, setEmailDomains] = useState('');
  const [linkByVerifiedEmail, setLinkByVerifiedEmail] = useState(false);
  const [oidc, setOidc] = useState<OidcText>(EMPTY_OIDC);
  const upstream = type !== 'delegated';
  return (
    <Page title="IDP connection">
      <LoadStatus of={list} />
      {(list.data ?? []).map((connection) => (
        <ConnectionEditor key={connection.id} connection={connection} onChanged={list.reload} />
      ))}
      <form
        aria-label="Create an IDP connection"
        onSubmit={formSubmit(() =>
          create.run(async () => {
            await api('POST', '/v1/idp-connections', {
              type,
              ...(name ? { name } : {}),
              applicationIds,
              ...(upstream ? { emailDomains: lines(emailDomains), linkByVerifiedEmail } : {}),
              ...(type === 'oidc' ? oidcBody(oidc, false) : {}),
            });
            setOidc(EMPTY_OIDC);
            list.reload();
          }),
        )}
      >
        <h2>Create an IDP connection</h2>
        <Select label="Connection type" name="type" value={type} options={TYPES} onChange={setType} />
        <Field label="Name" name="name" value={name} onInput={setName} error={create.fieldError('name')} />
        {type === 'oidc' && <OidcFields text={oidc} onChange={setOidc} action={create} update={false} />}
        {upstream && (
          <>
            <Field
              label="Email domains (one per line)"
              name="emailDomains"
              multiline
              value={emailDomains}
              onInput={setEmailDomains}
              hint="End users whose email address is in one of these domains log in here when the application has several connections."
              error={create.fieldError('emailDomains')}
            />
            <Checkbox label="Link a first login to the existing user with the same verified email" checked={linkByVerifiedEmail} onChange={setLinkByVerifiedEmail} />
          </>
        )}
        <ApplicationPicker legend="Applications" value={applicationIds} onChange={setApplicationIds} error={create.fieldError('applicationIds')} />
        <ActionButton type="submit" busy={create.busy}>
          Create connection
        </ActionButton>
        <ActionError action={create} />
      </form>
    </Page>
  );
}

function OidcFields({ text, onChange, action, update }: { text: OidcText; onChange: (text: OidcText) => void; action: ReturnType<typeof useAction>; update: boolean }) {
  const set = (field: keyof OidcText) => (value: string) => onChange({ ...text, [field]: value });
  return (
    <>
      <Field
        label="Issuer"
        name="issuer"
        value={text.issuer}
        onInput={set('issuer')}
        hint="The upstream OpenID provider, as its discovery document names it."
        error={action.fieldError('issuer')}
      />
      <Field label="Client ID at the provider" name="clientId" value={text.clientId} onInput={set('clientId')} error={action.fieldError('clientId')} />
      <Field
        label="Client secret"
        name="clientSecret"
        type="password"
        value={text.clientSecret}
        onInput={set('clientSecret')}
        hint={update ? 'Leave empty to keep the stored secret; it is never shown again.' : 'Kept in Secrets Manager; it is never shown again.'}
        error={action.fieldError('clientSecret')}
      />
      <Field label="Scopes" name="scopes" value={text.scopes} onInput={set('scopes')} hint='Default "openid email profile".' error={action.fieldError('scopes')} />
      <Field label="Claim for email" name="emailClaim" value={text.emailClaim} onInput={set('emailClaim')} hint="Default email." error={action.fieldError('claimMapping')} />
      <Field label="Claim for email_verified" name="emailVerifiedClaim" value={text.emailVerifiedClaim} onInput={set('emailVerifiedClaim')} hint="Default email_verified." />
      <Field label="Claim for name" name="nameClaim" value={text.nameClaim} onInput={set('nameClaim')} hint="Default name." />
    </>
  );
}

function ConnectionEditor({ connection, onChanged }: { connection: IdpConnection; onChanged: () => void }) {
  const save = useAction();
  const test = useAction();
  const [enabled, setEnabled] = useState(connection.enabled);
  const [applicationIds, setApplicationIds] = useState(connection.applicationIds);
  const [emailDomains, setEmailDomains] = useState((connection.emailDomains ?? []).join('\n'));
  const [linkByVerifiedEmail, setLinkByVerifiedEmail] = useState(connection.linkByVerifiedEmail ?? false);
  const [oidc, setOidc] = useState<OidcText>({
    ...EMPTY_OIDC,
    issuer: connection.issuer ?? '',
    clientId: connection.clientId ?? '',
    scopes: connection.scopes ?? '',
    emailClaim: connection.claimMapping?.email ?? '',
    nameClaim: connection.claimMapping?.name ?? '',
    emailVerifiedClaim: connection.claimMapping?.email_verified ?? '',
  });
  const upstream = connection.type !== 'delegated';
  const path = `/v1/idp-connections/${encodeURIComponent(connection.id)}`;
  return (
    <form
      aria-label={`IDP connection ${connection.id}`}
      onSubmit={formSubmit(() =>
        save.run(async () => {
          await api('PATCH', path, {
            enabled,
            applicationIds,
            ...(upstream ? { emailDomains: lines(emailDomains), linkByVerifiedEmail } : {}),
            ...(connection.type === 'oidc' ? oidcBody(oidc, true) : {}),
          });
          setOidc({ ...oidc, clientSecret: '' });
          onChanged();
        }),
      )}
    >
      <RecordView value={connection} label="IDP connection" />
      {connection.redirectUri && <CopyField label={`Redirect URI to register at the provider (${connection.name ?? connection.id})`} value={connection.redirectUri} />}
      {connection.backchannelLogoutUri && (
        <CopyField label={`Back-channel logout URI to register at the provider (${connection.name ?? connection.id})`} value={connection.backchannelLogoutUri} />
      )}
      <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
      {connection.type === 'oidc' && <OidcFields text={oidc} onChange={setOidc} action={save} update />}
      {upstream && (
        <>
          <Field label="Email domains (one per line)" name="emailDomains" multiline value={emailDomains} onInput={setEmailDomains} error={save.fieldError('emailDomains')} />
          <Checkbox label="Link a first login to the existing user with the same verified email" checked={linkByVerifiedEmail} onChange={setLinkByVerifiedEmail} />
        </>
      )}
      <ApplicationPicker legend="Assigned applications" value={applicationIds} onChange={setApplicationIds} error={save.fieldError('applicationIds')} />
      <div class="row">
        <ActionButton type="submit" busy={save.busy}>
          Save connection
        </ActionButton>
        {upstream && connection.redirectUri && (
          <ActionButton type="button" busy={test.busy} onClick={() => test.run(() => testConnection(connection))}>
            Test the connection
          </ActionButton>
        )}
        <DeleteButton action={save} path={path} confirmation={'Delete the IDP connection? Its subjects become new users under a new one.'} then={() => onChanged()}>
          Delete connection
        </DeleteButton>
      </div>
      <ActionError action={save} />
      <ActionError action={test} />
    </form>
  );
}

/** A read-only field whose text the administrator copies to the provider's settings. */
function CopyField({ label, value }: { label: string; value: string }) {
  return (
    <div class="field">
      <label>
        {label}
        <input type="text" readOnly value={value} onFocus={(event) => event.currentTarget.select()} />
      </label>
    </div>
  );
}

/**
 * "Sign in with it now": a new tab starts a code flow of the first OIDC client of an assigned
 * application, with `idp_hint` naming this connection, and ends at that client's redirect URI.
 */
async function testConnection(connection: IdpConnection): Promise<void> {
  for (const applicationId of connection.applicationIds) {
    const clients = itemsOf<{ clientId: string; redirectUris?: string[] }>(await api('GET', `/v1/applications/${encodeURIComponent(applicationId)}/clients`));
    const client = clients.find((candidate) => (candidate.redirectUris ?? []).length > 0);
    if (!client) continue;
    const verifier = new Uint8Array(32);
    crypto.getRandomValues(verifier);
    const challenge = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(base64url(verifier))));
    const authorize = new URL(connection.redirectUri!.replace(/\/oauth\/v2\/idp\/callback$/, '/oauth/v2/authorize'));
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: client.redirectUris![0]!,
      scope: 'openid email profile',
      code_challenge: base64url(challenge),
      code_challenge_method: 'S256',
      idp_hint: connection.id,
    }).toString();
    window.open(authorize.href, '_blank', 'noopener');
    return;
  }
  throw new Error('assign the connection to an application with an OIDC client first: the test signs in to that client');
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
