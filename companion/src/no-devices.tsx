// What the companion shows before anything is paired: how to pair with the computer, in three steps.

import { LogoMark } from '../../components/logo-mark';

export function NoDevices() {
  return (
    <div class="empty-state" data-testid="empty-state">
      <LogoMark size={56} />
      <h2 class="empty-state__title">Pair with your computer</h2>
      <p class="muted">
        DirectDrop moves links, text and files between this device and your computer, directly and end-to-end
        encrypted.
      </p>
      <ol class="empty-state__steps">
        <li>On your computer, click the DirectDrop button in the browser toolbar.</li>
        <li>Choose “Pair a device” if no code is showing.</li>
        <li>Scan the code with this device’s camera.</li>
      </ol>
    </div>
  );
}
