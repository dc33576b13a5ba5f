// DTLS certificate fingerprints, the channel binding of the handshake. Each end reads its own and the
// other's fingerprint from the negotiated SDP; a relay that terminates DTLS on both sides cannot make the
// two ends see the same pair.

/** Canonical form: lower-case hash name, single space, upper-case colon-separated hex. */
export function normalizeFingerprint(raw: string): string {
  const [algorithm = '', value = ''] = raw.trim().split(/\s+/, 2);
  return `${algorithm.toLowerCase()} ${value.toUpperCase()}`;
}

/** The first a=fingerprint attribute of an SDP blob, canonicalised; undefined when there is none. */
export function fingerprintFromSdp(sdp: string): string | undefined {
  const match = /^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  if (!match?.[1] || !match[2]) return undefined;
  return normalizeFingerprint(`${match[1]} ${match[2]}`);
}
