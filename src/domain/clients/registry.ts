import { NotFound } from '../errors';
import { isId, parseClientId } from '../ids';
import type { Caller } from '../caller';
import type { Clock, SecretHasher } from '../primitives';
import type { ResourceStore } from '../stores';
import type { StoredClient } from './model';
import type { SamlKeyVault } from '../saml/signing-keys';
import type { ApplicationLookup, ClientStore } from './ports';

/** What the client registry's management operations need. */
export interface ClientRegistryDeps {
  readonly clients: ClientStore;
  readonly resources: ResourceStore;
  readonly applications: ApplicationLookup;
  readonly hasher: SecretHasher;
  readonly now: Clock;
  readonly issuer: string;
}

export interface SamlRegistryDeps extends Omit<ClientRegistryDeps, 'hasher'> {
  readonly samlKeys: SamlKeyVault;
}

/**
 * A client in a path is named by its full client ID (`cl_…@env_…`) or its record ID (`cl_…`); either
 * way only a client of the caller's environment and of the application in the path is found.
 */
export async function loadClient<P extends StoredClient['protocol']>(
  deps: Pick<ClientRegistryDeps, 'clients'>,
  caller: Caller,
  applicationId: string,
  clientRef: string,
  protocol: P,
): Promise<Extract<StoredClient, { protocol: P }>> {
  const parsed = parseClientId(clientRef);
  const id = parsed ? (parsed.environmentId === caller.environmentId ? parsed.principalId : undefined) : clientRef;
  const client = id && isId(id, 'cl') ? await deps.clients.getClient(caller.environmentId, id) : undefined;
  if (!client || client.protocol !== protocol || client.applicationId !== applicationId) {
    throw new NotFound(`${protocol === 'saml' ? 'SAML' : 'OIDC'} client "${clientRef}" of application "${applicationId}"`);
  }
  return client as Extract<StoredClient, { protocol: P }>;
}

export async function requireApplication(deps: Pick<ClientRegistryDeps, 'applications'>, caller: Caller, applicationId: string): Promise<void> {
  if (!(await deps.applications.getApplication(caller.environmentId, applicationId))) throw new NotFound(`application "${applicationId}"`);
}

export function timestamp(now: Clock): string {
  return new Date(now()).toISOString();
}
