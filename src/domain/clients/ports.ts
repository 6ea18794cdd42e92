import type { AssertionReplayStore } from './client-assertion';
import type { StoredClient } from './model';

/** Storage of the client registry; one AWS implementation in `src/adapters/dynamodb/client-store.ts`. */
export interface ClientStore extends AssertionReplayStore {
  /** Fails with `Conflict` if the ID is taken. */
  createClient(client: StoredClient): Promise<void>;
  /** Strongly consistent: it gates authentication. */
  getClient(environmentId: string, id: string): Promise<StoredClient | undefined>;
  listClients(environmentId: string, applicationId: string, protocol: StoredClient['protocol']): Promise<StoredClient[]>;
  /** Changes an existing client only; `null` removes an attribute; answers undefined when there is none. */
  /** With `expectedVersion`, only if the record is still at that version (`ConcurrentUpdate` otherwise), and the version goes up. */
  updateClient(
    environmentId: string,
    id: string,
    changes: Readonly<Record<string, unknown>>,
    versioned?: { readonly expectedVersion: number | undefined },
  ): Promise<StoredClient | undefined>;
  deleteClient(environmentId: string, id: string): Promise<boolean>;
  /**
   * Reserves a SAML `spEntityId` in the environment for a client (a conditional write): true when it
   * is now, or already was, this client's; false when another client holds it. With `replacing`,
   * takes it over from that client (one whose application was deleted).
   */
  claimSamlEntityId(environmentId: string, spEntityId: string, clientRef: string, replacing?: string): Promise<boolean>;
  /** The client that holds the reservation, if any. */
  samlEntityIdHolder(environmentId: string, spEntityId: string): Promise<string | undefined>;
  /** Frees the reservation if this client holds it. */
  releaseSamlEntityId(environmentId: string, spEntityId: string, clientRef: string): Promise<void>;
}

/** What the registry needs to know of applications: that one exists in the environment. */
export interface ApplicationLookup {
  getApplication(environmentId: string, applicationId: string): Promise<object | undefined>;
}
