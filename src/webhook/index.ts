/** The enrichment webhook contract and its signature scheme, for Latchkey and for receivers. */
export * from './contract';
export * from './signature';
