/**
 * In the data folder while the local runtime runs: where its Lambda stand-in listens, so commands
 * such as `npm run rotate-signing-keys -- --local` can invoke the route-less operations.
 */
export const LOCAL_ENDPOINTS_FILE = 'endpoints.json';

export interface LocalEndpoints {
  readonly lambda: string;
  readonly functionArns: Readonly<Record<string, string>>;
}
