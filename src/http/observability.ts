/**
 * The logger, metrics and tracing of a Latchkey function live with the adapters
 * (`src/adapters/observability.ts`), so the composition root needs nothing from the HTTP layer;
 * handlers, which never import an adapter, take them from here.
 */
export * from '../adapters/observability';
