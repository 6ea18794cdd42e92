import { ConcurrentUpdate } from './errors';

/**
 * Optimistic concurrency for read-modify-write of one record: `attempt` reads the record, decides
 * and writes conditionally on the version it read. When another writer got there first the store
 * throws `ConcurrentUpdate`, and the whole attempt runs again from a fresh read, so every check and
 * every computed value (a new secret hash, a grant list) is based on what is actually replaced.
 * After `attempts` lost races the caller gets the 409 and may retry.
 */
export async function retryOnConcurrentUpdate<T>(attempt: () => Promise<T>, attempts = 10): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrentUpdate) || tried >= attempts) throw error;
      // A short random pause spreads out writers that keep colliding.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * tried));
    }
  }
}
