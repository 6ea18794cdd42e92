import { useState } from 'preact/hooks';
import { AUTH_METHODS, CLIENT_TYPES, NAME_ID_TYPES, PKCE_MODES, type ClientType } from '../../../src/domain/clients/model';
import { checkRedirectUris } from '../../../src/domain/clients/redirect-uris';
import { api, itemsOf } from '../api';
import { ActionButton, ActionError, Checkbox, DeleteButton, Field, formSubmit, lines, LoadStatus, RecordView, SecretOnce, Select, useAction, useLoad } from '../ui';

interface OidcClient {
  id: string;
  clientId: string;
  name: string;
}
interface SamlClient {
  id: string;
  clientId: string;
  name: string;
  metadataUrl?: string;
  nextCertificate?: string;
}

/**
 * An application's OIDC clients. Redirect URIs are checked as they are typed with the very rules the
 * API applies (the domain module is browser-safe); the API's own answer still decides, and its field
 * errors show under the same field.
 */
export function OidcClients({ applicationPath }: { applicationPath: string }) {
  const path = `${applicationPath}/clients`;
  const list = useLoad(() => api('GET', path).then((answer) => itemsOf<OidcClient>(answer)), [path]);
  const create = useAction();
  const remove = useAction();
  const [name, setName] = useState('');
  const [redirectUris, setRedirectUris] = useState('');
  const [clientType, setClientType] = useState<ClientType>('web');
  const [authMethod, setAuthMethod] = useState<string>('client_secret_basic');
  const [pkce, setPkce] = useState<string>('enforce');
  const [secret, setSecret] = useState<string | undefined>();
  const uris = lines(redirectUris);
  const [submittedUris, setSubmittedUris] = useState<string | undefined>();
  const liveProblems = checkRedirectUris('redirectUris', uris, clientType);
  // The API's answer describes the URIs it was sent; once they are edited, the live check speaks.
  const apiProblem = submittedUris === redirectUris ? create.fieldError('redirectUris') : undefined;
  const redirectError = liveProblems.map((problem) => problem.message).join('; ') || apiProblem;
  return (
    <section aria-labelledby="oidc-title">
      <h2 id="oidc-title">OIDC clients</h2>
      <form
        aria-label="Create an OIDC client"
        onSubmit={formSubmit(() =>
          create.run(async () => {
            setSubmittedUris(redirectUris);
            const answer = await api<{ clientSecret?: string }>('POST', path, { name, redirectUris: uris, clientType, authMethod, pkce });
            setSecret(answer.clientSecret);
            setName('');
            setRedirectUris('');
            list.reload();
          }),
        )}
      >
        <Field label="Client name" name="clientName" value={name} onInput={setName} error={create.fieldError('name')} required />
        <Field
          label="Redirect URIs (one per line)"
          name="redirectUris"
          multiline
          value={redirectUris}
          onInput={setRedirectUris}
          hint="https, or http only on localhost; native apps may use a reverse-domain scheme; no fragments or wildcards."
          error={redirectError}
        />
        <Select label="Client type" name="clientType" value={clientType} options={CLIENT_TYPES} onChange={(value) => setClientType(value as ClientType)} />
        <Select label="Authentication method" name="authMethod" value={authMethod} options={AUTH_METHODS} onChange={setAuthMethod} />
        <Select label="PKCE" name="pkce" value={pkce} options={PKCE_MODES} onChange={setPkce} />
        <ActionButton type="submit" busy={create.busy}>
          Create OIDC client
        </ActionButton>
        <ActionError action={create} />
      </form>
      {secret && <SecretOnce label="OIDC client secret" value={secret} onDismiss={() => setSecret(undefined)} />}
      <LoadStatus of={list} />
      {(list.data ?? []).map((client) => (
        <details key={client.id}>
          <summary>
            {client.name} <code>{client.clientId}</code>
          </summary>
          <RecordView value={client} label={`OIDC client ${client.name}`} />
          <DeleteButton
            action={remove}
            path={`${path}/${encodeURIComponent(client.id)}`}
            confirmation={`Delete OIDC client ${client.name}? Applications that use it can no longer sign users in or get tokens with it.`}
            then={() => list.reload()}
          >
            Delete OIDC client {client.name}
          </DeleteButton>
        </details>
      ))}
      <ActionError action={remove} />
    </section>
  );
}

export function SamlClients({ applicationPath }: { applicationPath: string }) {
  const path = `${applicationPath}/saml-clients`;
  const list = useLoad(() => api('GET', path).then((answer) => itemsOf<SamlClient>(answer)), [path]);
  const create = useAction();
  const change = useAction();
  const [name, setName] = useState('');
  const [acsUrl, setAcsUrl] = useState('');
  const [spEntityId, setSpEntityId] = useState('');
  const [nameIdType, setNameIdType] = useState<string>('email');
  const [signResponse, setSignResponse] = useState(false);
  return (
    <section aria-labelledby="saml-title">
      <h2 id="saml-title">SAML clients</h2>
      <form
        aria-label="Create a SAML client"
        onSubmit={formSubmit(() =>
          create.run(async () => {
            await api('POST', path, { name, acsUrl, spEntityId, nameIdType, signResponse });
            setName('');
            setAcsUrl('');
            setSpEntityId('');
            list.reload();
          }),
        )}
      >
        <Field label="SAML client name" name="samlName" value={name} onInput={setName} error={create.fieldError('name')} required />
        <Field label="Assertion consumer service URL" name="acsUrl" value={acsUrl} onInput={setAcsUrl} error={create.fieldError('acsUrl')} required />
        <Field label="Service provider entity ID" name="spEntityId" value={spEntityId} onInput={setSpEntityId} error={create.fieldError('spEntityId')} required />
        <Select label="Name ID type" name="nameIdType" value={nameIdType} options={NAME_ID_TYPES} onChange={setNameIdType} />
        <Checkbox label="Sign the whole response, not only the assertion" name="signResponse" checked={signResponse} onChange={setSignResponse} />
        <ActionButton type="submit" busy={create.busy}>
          Create SAML client
        </ActionButton>
        <ActionError action={create} />
      </form>
      <LoadStatus of={list} />
      {(list.data ?? []).map((client) => (
        <details key={client.id}>
          <summary>
            {client.name} <code>{client.clientId}</code>
          </summary>
          <RecordView value={client} label={`SAML client ${client.name}`} />
          <div class="row">
            {/* Same origin: the metadata route is public, so a plain link downloads it. */}
            <a href={`/saml/${encodeURIComponent(client.clientId)}/metadata`} download={`${client.name}-idp-metadata.xml`}>
              Download IdP metadata for {client.name}
            </a>
            <ActionButton
              busy={change.busy}
              onClick={() =>
                change.run(async () => {
                  const question = client.nextCertificate
                    ? `Make the new certificate of SAML client ${client.name} current and withdraw the old one? Service providers that have not loaded its metadata again will refuse its responses.`
                    : `Issue a new certificate for SAML client ${client.name}? It is published in the metadata beside the current one, which keeps signing until a second rollover makes the new one current.`;
                  if (!confirm(question)) return;
                  await api('POST', `${path}/${encodeURIComponent(client.id)}/certificate`);
                  list.reload();
                })
              }
            >
              Issue a new certificate for {client.name}
            </ActionButton>
            <DeleteButton
              action={change}
              path={`${path}/${encodeURIComponent(client.id)}`}
              confirmation={`Delete SAML client ${client.name}? Its service provider can no longer sign users in.`}
              then={() => list.reload()}
            >
              Delete SAML client {client.name}
            </DeleteButton>
          </div>
        </details>
      ))}
      <ActionError action={change} />
    </section>
  );
}
