// The companion app's entry. A pairing code in the address is taken out of it first thing; then the app
// runs if the browser grants what it needs (a secure context), and otherwise explains how to get one.

import { render } from 'preact';
import '../../components/styles.css';
import { isSecureEnough } from '../../utils/browser-engine';
import { CompanionApp } from './companion-app';
import { InsecureContext } from './insecure-context';
import { takePairingLinkFromUrl } from './pairing-link-in-url';
import { registerServiceWorker } from './register-service-worker';

const pairingLink = takePairingLinkFromUrl();
const root = document.getElementById('app');

if (root) {
  if (isSecureEnough()) {
    registerServiceWorker();
    render(<CompanionApp initialPairingLink={pairingLink} />, root);
  } else {
    const fragment = pairingLink ? new URL(pairingLink).hash : undefined;
    render(<InsecureContext pairingFragment={fragment} />, root);
  }
}
