import { describe, expect, it } from 'vitest';
import { samlFormPage } from '../../src/http/saml-form';

describe('the SAML HTTP-POST form page', () => {
  it('runs its one script by a fresh nonce only, may post to the ACS URL only, and is never cached', () => {
    const page = samlFormPage({ action: 'https://sp.example.com/acs?x=1', fields: { SAMLResponse: 'PHg+', RelayState: '"><script>alert(1)</script>' } }, []);
    const csp = String(page.headers!['content-security-policy']);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('form-action https://sp.example.com/acs;');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers!['cache-control']).toBe('no-store');
    expect(page.body).toContain(`<script nonce="${nonce}">`);
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain('value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
    const other = samlFormPage({ action: 'https://sp.example.com/acs', fields: { SAMLResponse: 'PHg+' } }, []);
    expect(String(other.headers!['content-security-policy'])).not.toContain(nonce);
  });
});
