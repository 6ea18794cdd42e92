import { useState } from 'preact/hooks';
import { decodeToken, describeExpiry, verifyToken, type Verification } from '../jwt';
import { ActionButton, Field, formSubmit, Json, Page, useAction } from '../ui';

/** Paste a JWT: its header and claims, whether this deployment's JWKS verifies it, and when it expires. */
export function TokenInspectorPage() {
  const [token, setToken] = useState('');
  const [verification, setVerification] = useState<Verification | undefined>();
  const verify = useAction();
  const trimmed = token.trim();
  const decoded = trimmed ? decodeToken(trimmed) : undefined;
  return (
    <Page title="Token inspector">
      <form
        aria-label="Inspect a token"
        onSubmit={formSubmit(() =>
          verify.run(async () => {
            setVerification(await verifyToken(trimmed));
          }),
        )}
      >
        <Field
          label="JWT"
          name="jwt"
          multiline
          value={token}
          onInput={(value) => {
            setToken(value);
            setVerification(undefined);
          }}
          hint="Decoded here in the browser; it is sent nowhere. Verification fetches only the public keys."
          error={trimmed && !decoded ? 'not a JWT (three base64url parts separated by dots)' : undefined}
        />
        <ActionButton type="submit" busy={verify.busy}>
          Verify signature
        </ActionButton>
      </form>
      {verification && (
        <p role="status" class={verification.valid ? 'ok' : 'error'}>
          {verification.valid ? 'Signature valid: signed by a key of this deployment, and not expired.' : `Not valid: ${verification.reason}`}
        </p>
      )}
      {decoded && (
        <>
          <p>
            Expiry: <strong>{describeExpiry(typeof decoded.claims.exp === 'number' ? decoded.claims.exp : undefined)}</strong>
          </p>
          <h2>Header</h2>
          <Json value={decoded.header} label="Token header" />
          <h2>Claims</h2>
          <Json value={decoded.claims} label="Token claims" />
        </>
      )}
    </Page>
  );
}
