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
  idpMetadataUrl?: string;
  nameIdFormat?: string;
  attributeMapping?: Partial<Record<'subject' | 'email' | 'email_verified' | 'name', string>>;
  spEntityId?: string;
  acsUrl?: string;
  metadataUrl?: string;
}

/**
 * The connection types the console creates. A further upstream type adds its name here and its
 * fields to `UpstreamFields`' neighbour.
 */
const TYPES = ['oidc', 'saml', 'delegated'] as const;

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

const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
] as const;

/** The SAML fields a form edits, as text. */
interface SamlText {
  idpMetadataXml: string;
  idpMetadataUrl: string;
  nameIdFormat: string;
  subjectAttribute: string;
  emailAttribute: string;
  emailVerifiedAttribute: string;
  nameAttribute: string;
}

const EMPTY_SAML: SamlText = {
  idpMetadataXml: '',
  idpMetadataUrl: '',
  nameIdFormat: NAME_ID_FORMATS[0],
  subjectAttribute: '',
  emailAttribute: '',
  emailVerifiedAttribute: '',
  nameAttribute: '',
};

/** The request fields of a SAML form; on an update, the metadata only when given again (it is read and its certificates pinned anew). */
function samlBody(text: SamlText): Record<string, unknown> {
  const mapping = {
    ...(text.subjectAttribute ? { subject: text.subjectAttribute } : {}),
    ...(text.emailAttribute ? { email: text.emailAttribute } : {}),
    ...(text.emailVerifiedAttribute ? { email_verified: text.emailVerifiedAttribute } : {}),
    ...(text.nameAttribute ? { name: text.nameAttribute } : {}),
  };
  return {
    ...(text.idpMetadataXml ? { idpMetadataXml: text.idpMetadataXml } : {}),
    ...(text.idpMetadataUrl ? { idpMetadataUrl: text.idpMetadataUrl } : {}),
    nameIdFormat: text.nameIdFormat,
    attributeMapping: Object.keys(mapping).length > 0 ? mapping : null,
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
  const [saml, setSaml] = useState<SamlText>(EMPTY_SAML);
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
              ...(type === 'saml' ? samlBody(saml) : {}),
            });
            setOidc(EMPTY_OIDC);
            setSaml(EMPTY_SAML);
            list.reload();
          }),
        )}
      >
        <h2>Create an IDP connection</h2>
        <Select label="Connection type" name="type" value={type} options={TYPES} onChange={setType} />
        <Field label="Name" name="name" value={name} onInput={setName} error={create.fieldError('name')} />
        {type === 'oidc' && <OidcFields text={oidc} onChange={setOidc} action={create} update={false} />}
        {type === 'saml' && <SamlFields text={saml} onChange={setSaml} action={create} update={false} />}
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

function SamlFields({ text, onChange, action, update }: { text: SamlText; onChange: (text: SamlText) => void; action: ReturnType<typeof useAction>; update: boolean }) {
  const set = (field: keyof SamlText) => (value: string) => onChange({ ...text, [field]: value });
  const again = update ? ' Leave empty to keep the IdP read when the connection was saved.' : '';
  return (
    <>
      <Field
        label="IdP metadata URL"
        name="idpMetadataUrl"
        value={text.idpMetadataUrl}
        onInput={set('idpMetadataUrl')}
        hint={`Fetched once, now; its signing certificates are pinned. Or paste the metadata below.${again}`}
        error={action.fieldError('idpMetadataUrl')}
      />
      <Field label="IdP metadata XML" name="idpMetadataXml" multiline value={text.idpMetadataXml} onInput={set('idpMetadataXml')} error={action.fieldError('idpMetadataXml')} />
      <Select label="NameID format" name="nameIdFormat" value={text.nameIdFormat} options={NAME_ID_FORMATS} onChange={set('nameIdFormat')} />
      <Field
        label="Attribute for the subject"
        name="subjectAttribute"
        value={text.subjectAttribute}
        onInput={set('subjectAttribute')}
        hint="Default: the NameID."
        error={action.fieldError('attributeMapping')}
      />
      <Field label="Attribute for email" name="emailAttribute" value={text.emailAttribute} onInput={set('emailAttribute')} hint="Default: mail, email or the usual claim URIs." />
      <Field
        label="Attribute for email_verified"
        name="emailVerifiedAttribute"
        value={text.emailVerifiedAttribute}
        onInput={set('emailVerifiedAttribute')}
        hint="SAML has no standard one: without it, no email counts as verified."
      />
      <Field label="Attribute for name" name="nameAttribute" value={text.nameAttribute} onInput={set('nameAttribute')} hint="Default: displayName, name or the usual claim URIs." />
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
  const [saml, setSaml] = useState<SamlText>({
    ...EMPTY_SAML,
    nameIdFormat: connection.nameIdFormat ?? EMPTY_SAML.nameIdFormat,
    subjectAttribute: connection.attributeMapping?.subject ?? '',
    emailAttribute: connection.attributeMapping?.email ?? '',
    emailVerifiedAttribute: connection.attributeMapping?.email_verified ?? '',
    nameAttribute: connection.attributeMapping?.name ?? '',
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
            ...(connection.type === 'saml' ? samlBody(saml) : {}),
          });
          setSaml({ ...saml, idpMetadataXml: '', idpMetadataUrl: '' });
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
      {connection.metadataUrl && <CopyField label={`SP metadata URL to import at the IdP (${connection.name ?? connection.id})`} value={connection.metadataUrl} />}
      {connection.acsUrl && <CopyField label={`Assertion consumer service URL (${connection.name ?? connection.id})`} value={connection.acsUrl} />}
      {connection.spEntityId && <CopyField label={`SP entity ID (${connection.name ?? connection.id})`} value={connection.spEntityId} />}
      <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
      {connection.type === 'oidc' && <OidcFields text={oidc} onChange={setOidc} action={save} update />}
      {connection.type === 'saml' && <SamlFields text={saml} onChange={setSaml} action={save} update />}
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
        {upstream && (connection.redirectUri || connection.metadataUrl) && (
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
    // The issuer is the origin and path before Latchkey's own routes, in either URL.
    const authorize = new URL(
      connection.redirectUri
        ? connection.redirectUri.replace(/\/oauth\/v2\/idp\/callback$/, '/oauth/v2/authorize')
        : connection.metadataUrl!.replace(/\/saml\/sp\/[^/]+\/metadata$/, '/oauth/v2/authorize'),
    );
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
