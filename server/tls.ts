// Self-signed certificate for LAN use. The pair is cached in DATA_DIR and reused while it still covers
// every current address: a phone's one-time "proceed anyway" exception is tied to the certificate, so
// regenerating on each start would make the user accept a new warning every time.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface CertificatePair {
  cert: string;
  key: string;
  /** True when a new pair was generated (phones will show the certificate warning again). */
  generated: boolean;
}

const CERT_FILE = 'selfsigned-cert.pem';
const KEY_FILE = 'selfsigned-key.pem';
// Apple platforms reject TLS server certificates valid for more than 825 days, even user-accepted ones.
const VALIDITY_DAYS = 825;
const RENEW_BEFORE_MS = 14 * 24 * 60 * 60 * 1000;

export async function loadOrCreateSelfSignedCert(
  dataDir: string,
  ipAddresses: string[],
  now: Date = new Date(),
): Promise<CertificatePair> {
  const ips = ['127.0.0.1', ...ipAddresses.filter((ip) => ip !== '127.0.0.1')];
  const cached = await readCached(dataDir);
  if (cached && covers(cached, ips, now)) return { ...cached, generated: false };

  const notAfter = new Date(now.getTime() + VALIDITY_DAYS * 24 * 60 * 60 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'DirectDrop local server' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [{ type: 2, value: 'localhost' }, ...ips.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  await writeCached(dataDir, pems.cert, pems.private);
  return { cert: pems.cert, key: pems.private, generated: true };
}

async function readCached(dataDir: string): Promise<{ cert: string; key: string } | null> {
  try {
    const [cert, key] = await Promise.all([
      readFile(join(dataDir, CERT_FILE), 'utf8'),
      readFile(join(dataDir, KEY_FILE), 'utf8'),
    ]);
    return { cert, key };
  } catch {
    return null;
  }
}

function covers(pair: { cert: string; key: string }, ips: string[], now: Date): boolean {
  try {
    const x509 = new X509Certificate(pair.cert);
    if (!x509.checkPrivateKey(createPrivateKey(pair.key))) return false;
    if (new Date(x509.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return false;
    return x509.checkHost('localhost') !== undefined && ips.every((ip) => x509.checkIP(ip) !== undefined);
  } catch {
    // A truncated or hand-edited file is simply replaced.
    return false;
  }
}

async function writeCached(dataDir: string, cert: string, key: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  // The directory holds a private key: keep it out of git even if the project's .gitignore forgets it.
  await writeFile(join(dataDir, '.gitignore'), '*\n');
  // Written beside and renamed so a reader never sees half a file; a pair left mismatched by a crash
  // between the two renames fails covers() on the next start and is regenerated.
  const tmpKey = join(dataDir, `${KEY_FILE}.tmp`);
  const tmpCert = join(dataDir, `${CERT_FILE}.tmp`);
  await writeFile(tmpKey, key, { mode: 0o600 });
  await chmod(tmpKey, 0o600);
  await writeFile(tmpCert, cert);
  await rename(tmpKey, join(dataDir, KEY_FILE));
  await rename(tmpCert, join(dataDir, CERT_FILE));
}
