import { useState } from 'preact/hooks';
import { api, itemsOf } from '../api';
import { ActionButton, ActionError, DeleteButton, Field, formSubmit, LoadStatus, SecretOnce, useAction, useLoad } from '../ui';

interface ServiceAccountKey {
  id: string;
  algorithms: string[];
  generated: boolean;
  createdAt: string;
  expiresAt?: string;
}
interface KeyFile {
  keyId: string;
}

/** A service account's keys for the JWT bearer grant: list, add a public key, generate one (key file shown once), delete. */
export function ServiceAccountKeys({ accountPath }: { accountPath: string }) {
  const path = `${accountPath}/keys`;
  const list = useLoad(() => api('GET', path).then((answer) => itemsOf<ServiceAccountKey>(answer)), [path]);
  const add = useAction();
  const remove = useAction();
  const [publicKeyJwk, setPublicKeyJwk] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [keyFile, setKeyFile] = useState<string | undefined>();
  const [keyFileId, setKeyFileId] = useState('');

  const create = (body: Record<string, unknown>) =>
    add.run(async () => {
      const answer = await api<{ keyFile?: KeyFile }>('POST', path, { ...body, ...(expiresAt ? { expiresAt } : {}) });
      if (answer.keyFile) {
        setKeyFile(JSON.stringify(answer.keyFile));
        setKeyFileId(answer.keyFile.keyId);
      }
      setPublicKeyJwk('');
      list.reload();
    });
  const addPublicKey = () => {
    let jwk: unknown;
    try {
      jwk = JSON.parse(publicKeyJwk);
    } catch {
      return add.run(async () => {
        throw new Error('The public key must be a JWK in JSON, e.g. {"kty":"EC","crv":"P-256","x":"…","y":"…"}');
      });
    }
    return create({ publicKeyJwk: jwk });
  };

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">Keys</h2>
      <p>
        Sign a JWT with one of these keys for the JWT bearer grant or <code>private_key_jwt</code>, instead of sending the secret. At most ten keys.
      </p>
      <form aria-label="Add a key" onSubmit={formSubmit(addPublicKey)}>
        <Field
          label="Public key (JWK)"
          name="publicKeyJwk"
          multiline
          value={publicKeyJwk}
          onInput={setPublicKeyJwk}
          hint="EC P-256 or P-384, or RSA of 2048 bits or more; public members only"
          error={add.fieldError('publicKeyJwk')}
        />
        <Field
          label="Key expires at (ISO 8601)"
          name="keyExpiresAt"
          value={expiresAt}
          onInput={setExpiresAt}
          hint="e.g. 2030-01-31T12:00:00Z; empty for no expiry"
          error={add.fieldError('expiresAt')}
        />
        <div class="row">
          <ActionButton type="submit" busy={add.busy}>
            Add public key
          </ActionButton>
          <ActionButton busy={add.busy} onClick={() => create({})}>
            Generate a key pair
          </ActionButton>
        </div>
        <ActionError action={add} />
      </form>
      {keyFile && (
        <div>
          <SecretOnce label="Key file (private key)" value={keyFile} onDismiss={() => setKeyFile(undefined)} />
          <a href={`data:application/json;charset=utf-8,${encodeURIComponent(keyFile)}`} download={`${keyFileId}.json`}>
            Download the key file
          </a>
        </div>
      )}
      <LoadStatus of={list} />
      <ul>
        {(list.data ?? []).map((key) => (
          <li key={key.id}>
            <code>{key.id}</code> {key.algorithms.join(', ')} {key.generated ? 'generated' : 'brought'} {key.expiresAt ? `expires ${key.expiresAt}` : 'no expiry'}{' '}
            <DeleteButton
              action={remove}
              path={`${path}/${encodeURIComponent(key.id)}`}
              confirmation={`Delete key ${key.id}? Assertions signed with it are refused at once.`}
              then={() => list.reload()}
            >
              Delete <span class="visually-hidden">{key.id}</span>
            </DeleteButton>
          </li>
        ))}
      </ul>
      <ActionError action={remove} />
    </section>
  );
}
