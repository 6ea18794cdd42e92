import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/service-accounts/sa_…`): no server rewrite needed, works from S3 as from the local runtime. */
export function useRoute(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

export function go(...segments: string[]): void {
  location.hash = `#/${segments.map(encodeURIComponent).join('/')}`;
}

export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}
