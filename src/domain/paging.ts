import { InvalidRequest } from './errors';

/** Listings answer pages of at most this many items, 50 unless the caller asks otherwise. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

/** The page size a listing asked for, checked once for every listing. */
export function pageLimit(limit: number | undefined): number {
  const size = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    const message = `must be a whole number from 1 to ${MAX_PAGE_SIZE}`;
    throw new InvalidRequest(`limit ${message}`, { fields: [{ path: 'limit', message }] });
  }
  return size;
}
