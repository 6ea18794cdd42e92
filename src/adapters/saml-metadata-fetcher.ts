import { MAX_METADATA_BYTES, type SamlMetadataFetcher } from '../domain/federation/saml/idp-metadata';
import { OutboundFailure, OutboundHttp } from './outbound-http';

/**
 * Fetches an upstream SAML identity provider's metadata URL through the outbound policy
 * (src/adapters/outbound-http.ts): https to public addresses only in a deployed stage, checked on
 * the address connected to, no redirects, at most MAX_METADATA_BYTES, five seconds. Anything but a
 * 200 is a failure whose detail reaches the log only.
 */
export class OutboundSamlMetadataFetcher implements SamlMetadataFetcher {
  constructor(private readonly outbound: OutboundHttp = new OutboundHttp()) {}

  async fetchMetadata(url: string): Promise<string> {
    const answer = await this.outbound.request(url, {
      method: 'GET',
      headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
      signal: AbortSignal.timeout(5000),
      maxBytes: MAX_METADATA_BYTES,
    });
    if (answer.status !== 200) throw new OutboundFailure(`GET ${new URL(url).origin} answered ${answer.status}`);
    return answer.body.toString('utf8');
  }
}
