import type { StoredApplication } from '../applications';
import type { StoredClient } from '../clients/model';
import { isId, parseClientId } from '../ids';
import type { InteractionDeps } from './deps';

/** A client that may start a login, with its application. */
export interface LoginClient<C extends StoredClient = StoredClient> {
  readonly client: C;
  readonly application: StoredApplication;
}

/**
 * The one way a login finds its client: by `client_id` (`cl_…@env_…`), which names its
 * environment, and only with an application that still exists. Undefined for anything else; the
 * caller says what was wrong in its own words (an error page, never a redirect).
 */
export async function findLoginClient(deps: Pick<InteractionDeps, 'clients' | 'applications'>, clientId: string): Promise<LoginClient | undefined> {
  const parsed = parseClientId(clientId);
  const client = parsed && isId(parsed.principalId, 'cl') ? await deps.clients.getClient(parsed.environmentId, parsed.principalId) : undefined;
  const application = client && (await deps.applications.getApplication(client.environmentId, client.applicationId));
  return client && application ? { client, application } : undefined;
}
