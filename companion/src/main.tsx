// The companion app's entry. A pairing code in the address is taken out of it first thing; then the app
// runs if the browser grants what it needs (a secure context), and otherwise explains how to get one.
// Its service worker pins the build (app-updates.ts).

import { render } from 'preact';
import '../../components/styles.css';
import { isSecureEnough } from '../../utils/browser-engine';
import { AppUpdates } from './app-updates';
import { CompanionApp } from './companion-app';
import { InsecureContext } from './insecure-context';
import { takePairingLinkFromUrl } from './pairing-link-in-url';

const pairingLink = takePairingLinkFromUrl();
const root = document.getElementById('app');

if (root) {
  if (isSecureEnough()) {
    // The dev server's modules are meant to change under the page, so only a build pins itself.
    const updates = new AppUpdates();
    if (!import.meta.env.DEV) void updates.start();
    render(<CompanionApp initialPairingLink={pairingLink} updates={updates} />, root);
  } else {
    const fragment = pairingLink ? new URL(pairingLink).hash : undefined;
    render(<InsecureContext pairingFragment={fragment} />, root);
  }
}
