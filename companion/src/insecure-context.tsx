// Shown instead of the app when the page was opened over plain http on a network address: the browser
// then withholds WebCrypto and service workers, so DirectDrop cannot run. It explains why and, when the
// server also offers https, links there (keeping a pairing code, which only that same server receives).

import { useEffect, useState } from 'preact/hooks';
import { LogoMark } from '../../components/logo-mark';

interface InsecureContextProps {
  /** "#pair=…" when the page was opened from a pairing code, so the secure address can continue it. */
  pairingFragment: string | undefined;
}

/** The server's https address, if /config names one (it is reachable over http too). */
function useSecureAddress(): string | undefined {
  const [address, setAddress] = useState<string | undefined>();
  useEffect(() => {
    fetch('/config', { cache: 'no-store' })
      .then((response) => (response.ok ? response.json() : undefined))
      .then((config: { publicUrl?: unknown } | undefined) => {
        const url = typeof config?.publicUrl === 'string' ? config.publicUrl : undefined;
        if (url && new URL(url).protocol === 'https:' && new URL(url).origin !== location.origin) {
          setAddress(new URL(url).origin);
        }
      })
      .catch(() => {
        // Without the address, the explanation alone still tells the user what to do.
      });
  }, []);
  return address;
}

export function InsecureContext({ pairingFragment }: InsecureContextProps) {
  const secureAddress = useSecureAddress();
  return (
    <main class="notice-screen" data-testid="insecure-context">
      <LogoMark size={48} />
      <h1>Open DirectDrop over a secure connection</h1>
      <p>
        This page was opened over plain <code>http</code> on a network address. Browsers keep the encryption
        DirectDrop relies on away from such pages, so it can’t run here.
      </p>
      {secureAddress ? (
        <>
          <a class="btn btn--primary" href={`${secureAddress}/${pairingFragment ?? ''}`}>
            Open the secure address
          </a>
          <p class="muted">
            Your browser will warn that the connection is not private. That is expected: the DirectDrop server
            on your network made its own (self-signed) certificate. Accept it once (usually “Advanced”, then
            “Proceed”) and it won’t ask again.
          </p>
        </>
      ) : (
        <>
          <p>To fix it:</p>
          <ol>
            <li>
              Start the DirectDrop server with HTTPS, for example{' '}
              <code>npm run server -- --tls-self-signed</code>.
            </li>
            <li>On your computer, show a new pairing code and scan it again.</li>
          </ol>
        </>
      )}
    </main>
  );
}
