/**
 * Where upstream connections keep their client secrets and private keys: a leaf that the connection
 * registry and the upstream protocols both import, so neither imports the other for it.
 */

/** Where a secret of a connection is kept in the vault: its ID and version, never its value. */
export interface ConnectionSecretRef {
  readonly secretId: string;
  readonly versionId: string;
}

/** The secrets of upstream connections (Secrets Manager, one secret per connection). */
export interface ConnectionSecretVault {
  put(environmentId: string, connectionId: string, value: string): Promise<ConnectionSecretRef>;
  read(ref: ConnectionSecretRef): Promise<string>;
  /** Deletes the connection's secret by its name; absent is fine. */
  removeOf(environmentId: string, connectionId: string): Promise<void>;
}
