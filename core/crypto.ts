// The cryptography core/ needs, as an interface the host passes in, plus an implementation over any
// WebCrypto object (browsers and Node 20 both provide one). Identity keys are ECDSA P-256: the one
// signature algorithm every target browser supports; private keys are created non-extractable.

export interface IdentityKeyPair {
  /** Uncompressed P-256 point (65 bytes); safe to publish. */
  publicKey: Uint8Array;
  /** Opaque handle (a non-extractable CryptoKey in browsers); stored by the host, never serialised by core. */
  privateKey: unknown;
}

export interface CryptoEnv {
  randomBytes(length: number): Uint8Array;
  sha256(data: Uint8Array): Promise<Uint8Array>;
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  generateIdentity(): Promise<IdentityKeyPair>;
  sign(privateKey: unknown, data: Uint8Array): Promise<Uint8Array>;
  /** False for a malformed key or signature as well as for a wrong one: peer input never throws here. */
  verify(publicKey: Uint8Array, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

// Structural subset of WebCrypto, so core/ compiles without DOM types.
type Key = object;
interface SubtleLike {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  importKey(
    format: 'raw',
    key: Uint8Array,
    algorithm: object,
    extractable: boolean,
    usages: string[],
  ): Promise<Key>;
  generateKey(
    algorithm: object,
    extractable: boolean,
    usages: string[],
  ): Promise<{ publicKey: Key; privateKey: Key }>;
  exportKey(format: 'raw', key: Key): Promise<ArrayBuffer>;
  sign(algorithm: string | object, key: Key, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: object, key: Key, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}
export interface WebCryptoLike {
  readonly subtle: SubtleLike;
  getRandomValues<T extends Uint8Array>(array: T): T;
}

const ECDSA_KEY = { name: 'ECDSA', namedCurve: 'P-256' };
const ECDSA_SIG = { name: 'ECDSA', hash: 'SHA-256' };
const HMAC_KEY = { name: 'HMAC', hash: 'SHA-256' };

export function createWebCryptoEnv(webCrypto: WebCryptoLike): CryptoEnv {
  const { subtle } = webCrypto;
  return {
    randomBytes(length) {
      return webCrypto.getRandomValues(new Uint8Array(length));
    },
    async sha256(data) {
      return new Uint8Array(await subtle.digest('SHA-256', data));
    },
    async hmacSha256(key, data) {
      const k = await subtle.importKey('raw', key, HMAC_KEY, false, ['sign']);
      return new Uint8Array(await subtle.sign('HMAC', k, data));
    },
    async generateIdentity() {
      const pair = await subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
      const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
      return { publicKey, privateKey: pair.privateKey };
    },
    async sign(privateKey, data) {
      return new Uint8Array(await subtle.sign(ECDSA_SIG, privateKey as Key, data));
    },
    async verify(publicKey, signature, data) {
      try {
        const key = await subtle.importKey('raw', publicKey, ECDSA_KEY, false, ['verify']);
        return await subtle.verify(ECDSA_SIG, key, signature, data);
      } catch {
        return false;
      }
    },
  };
}
