// Takes a pairing link out of the address bar. The fragment carries the one-time secret, so it is
// removed from the URL (and with it from history) as soon as it is read, before pairing even starts.

export function takePairingLinkFromUrl(): string | undefined {
  if (!location.hash.startsWith('#pair=')) return undefined;
  const link = location.href;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return link;
}
