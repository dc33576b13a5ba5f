// A device's long-term identity: its key pair and the device id derived from the public key. Deriving the
// id from the key makes ids self-certifying: a peer cannot claim another device's id without its key.

import { toBase64Url } from './bytes';
import type { CryptoEnv, IdentityKeyPair } from './crypto';

export interface DeviceIdentity extends IdentityKeyPair {
  deviceId: string;
}

/** 128 bits of SHA-256 over the raw public key, base64url (22 characters). */
export async function deviceIdFor(crypto: CryptoEnv, publicKey: Uint8Array): Promise<string> {
  return toBase64Url((await crypto.sha256(publicKey)).subarray(0, 16));
}

export async function createIdentity(crypto: CryptoEnv): Promise<DeviceIdentity> {
  const pair = await crypto.generateIdentity();
  return { ...pair, deviceId: await deviceIdFor(crypto, pair.publicKey) };
}
