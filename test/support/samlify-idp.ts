import type { KeyObject } from 'node:crypto';
import * as samlify from 'samlify';

/**
 * samlify playing an upstream SAML identity provider for Latchkey as the service provider: its
 * metadata, the AuthnRequest it reads from a redirect, and the Response it signs (the assertion, and
 * the whole message when asked). samlify's default template has no AuthnStatement or attributes, so
 * the two statements are put into its template before it replaces the tags and signs.
 */

samlify.setSchemaValidator({ validate: async () => 'skipped' });

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export type SamlifyIdp = ReturnType<typeof samlify.IdentityProvider>;

export function samlifyIdentityProvider(options: { entityId: string; ssoUrl: string; key: { privateKey: KeyObject; certificate: string }; binding?: string }): SamlifyIdp {
  return samlify.IdentityProvider({
    entityID: options.entityId,
    privateKey: options.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signingCert: options.key.certificate,
    singleSignOnService: [{ Binding: options.binding ?? REDIRECT, Location: options.ssoUrl }],
    nameIDFormat: [PERSISTENT],
    wantAuthnRequestsSigned: true,
  });
}

/** The ID of the signed AuthnRequest in a redirect to the IdP; samlify checks its signature against the SP metadata. */
export async function authnRequestIdIn(idp: SamlifyIdp, spMetadata: string, location: string): Promise<{ id: string; relayState: string }> {
  const query = new URL(location).searchParams;
  const parsed = await idp.parseLoginRequest(samlify.ServiceProvider({ metadata: spMetadata }), 'redirect', {
    query: Object.fromEntries(query),
    octetString: location.slice(location.indexOf('?') + 1, location.indexOf('&Signature=')),
  });
  return { id: parsed.extract.request?.id as string, relayState: query.get('RelayState') ?? '' };
}

export interface IdpAnswer {
  readonly nameId?: string;
  readonly status?: string;
  readonly audience?: string;
  readonly destination?: string;
  readonly inResponseTo?: string;
  readonly notOnOrAfterMs?: number;
  readonly attributes?: Record<string, string>;
  /** samlify signs the whole Response as well as the Assertion. */
  readonly signMessage?: boolean;
  /** Another IdP (key) signs instead. */
  readonly signer?: SamlifyIdp;
}

/** The Response of `idp` to the request `requestId` for the SP of `spMetadata`, base64 as posted. */
export async function signedLoginResponse(idp: SamlifyIdp, spMetadata: string, requestId: string, answer: IdpAnswer = {}): Promise<string> {
  const reader = samlify.ServiceProvider({ metadata: spMetadata, wantMessageSigned: answer.signMessage ?? false });
  const acsUrl = reader.entityMeta.getAssertionConsumerService('post') as string;
  const now = Date.now();
  const until = new Date(answer.notOnOrAfterMs ?? now + 5 * 60_000).toISOString();
  const attributes = Object.entries(answer.attributes ?? { email: 'Ada@Example.com', displayName: 'Ada Lovelace' })
    .map(([name, value]) => `<saml:Attribute Name="${name}"><saml:AttributeValue xsi:type="xs:string">${value}</saml:AttributeValue></saml:Attribute>`)
    .join('');
  const values = {
    ID: `_r${now}${Math.random().toString(36).slice(2)}`,
    AssertionID: `_a${now}${Math.random().toString(36).slice(2)}`,
    Destination: answer.destination ?? acsUrl,
    Audience: answer.audience ?? reader.entityMeta.getEntityID(),
    SubjectRecipient: acsUrl,
    Issuer: idp.entityMeta.getEntityID(),
    IssueInstant: new Date(now).toISOString(),
    StatusCode: answer.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success',
    ConditionsNotBefore: new Date(now - 60_000).toISOString(),
    ConditionsNotOnOrAfter: until,
    SubjectConfirmationDataNotOnOrAfter: until,
    NameIDFormat: PERSISTENT,
    NameID: answer.nameId ?? 'upstream-subject-1',
    InResponseTo: answer.inResponseTo ?? requestId,
  };
  // samlify escapes every tag value: the two statements go in as XML before the tags are replaced.
  const statements =
    `<saml:AuthnStatement AuthnInstant="${new Date(now).toISOString()}" SessionIndex="idp-session-7"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`;
  const { context } = await (answer.signer ?? idp).createLoginResponse(
    reader,
    { extract: { request: { id: requestId } } },
    'post',
    {},
    {
      customTagReplacement: (template) => ({
        id: values.ID,
        context: samlify.SamlLib.replaceTagsByValue(template.replace('{AuthnStatement}{AttributeStatement}', statements), values),
      }),
    },
  );
  return context;
}

export { samlify };
