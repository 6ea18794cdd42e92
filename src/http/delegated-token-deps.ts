import {
  applicationStore,
  clock,
  endUserStore,
  idpConnectionStore,
  issuer,
  signingKeys,
  webhookCaller,
  webhookVault,
} from '../adapters/from-environment';
import type { DelegatedTokenDeps } from '../domain/delegated-tokens';
import { logger } from './observability';

/** What generating a delegated token needs (REST and GraphQL alike); built once per container. */
let deps: DelegatedTokenDeps | undefined;

export function delegatedTokenDeps(): DelegatedTokenDeps {
  deps ??= {
    applications: applicationStore(),
    connections: idpConnectionStore(),
    users: endUserStore(),
    signer: signingKeys(),
    enrichment: {
      transport: webhookCaller(),
      vault: webhookVault(),
      now: clock,
      log: { warn: (message, details) => logger.warn(message, details) },
    },
    now: clock,
    issuer: issuer(),
  };
  return deps;
}
