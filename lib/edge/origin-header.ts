/** The header CloudFront adds to every request it passes to the API, carrying the origin secret. */
export const ORIGIN_HEADER = 'x-latchkey-origin-verify';
