// Where pairing from a scanned code stands on the companion, as the screens show it.

export type PairingProgress =
  | { state: 'pairing' }
  | { state: 'paired'; deviceId: string; name: string }
  | { state: 'failed'; error: string };
