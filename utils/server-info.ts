// What the signalling server says about itself (GET /config): the address phones should open and the ICE
// servers to use. Asked once per (re)connection; a server that cannot be reached yields the defaults.

export interface ServerInfo {
  /** The URL pairing links point at (the companion app, usually https on the LAN). */
  publicUrl: string;
  peerPath: string;
  iceServers: RTCIceServer[];
}

export async function fetchServerInfo(serverUrl: string, timeoutMs = 4000): Promise<ServerInfo> {
  const fallback: ServerInfo = {
    publicUrl: serverUrl.replace(/\/+$/, ''),
    peerPath: '/peerjs',
    iceServers: [],
  };
  try {
    const response = await fetch(new URL('/config', serverUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return fallback;
    const body = (await response.json()) as Partial<ServerInfo>;
    return {
      publicUrl: typeof body.publicUrl === 'string' ? body.publicUrl : fallback.publicUrl,
      peerPath: typeof body.peerPath === 'string' ? body.peerPath : fallback.peerPath,
      iceServers: Array.isArray(body.iceServers) ? body.iceServers : [],
    };
  } catch {
    return fallback;
  }
}
