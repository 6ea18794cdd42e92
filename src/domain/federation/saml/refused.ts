import { LatchkeyError } from '../../errors';

/**
 * The upstream identity provider did not log the end user in (`denied`: a status other than
 * Success), or its answer could not be accepted (`invalid`: any rule of `response.ts`). The client
 * sees `access_denied` with a generic description; `internalDetail` (the log and the audit log)
 * says which rule refused it.
 */
export class UpstreamSamlRefused extends LatchkeyError {
  constructor(
    readonly reason: 'denied' | 'invalid',
    detail: string,
  ) {
    super(400, 'access_denied', reason === 'denied' ? 'the identity provider did not log the end user in' : "the identity provider's answer could not be accepted", {
      internalDetail: detail,
    });
  }
}
