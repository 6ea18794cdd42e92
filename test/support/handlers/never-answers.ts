/** A handler that never returns, as a function stuck on a dependency would: for integration timeout tests. */
export function handler(): Promise<never> {
  return new Promise(() => undefined);
}
