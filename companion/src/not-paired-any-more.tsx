// The phone's state when every device it was paired with has unpaired it: said at the top, in place of a
// send form that would have nowhere to send, with the one way back (pair again from the computer).

import { AlertIcon } from '../../components/icons';
import { joinNames } from '../../components/send-files';

export function NotPairedAnyMore({ names }: { names: readonly string[] }) {
  return (
    <div class="pairing-status pairing-status--failed" role="status" data-testid="unpaired-state">
      <AlertIcon size={20} />
      <div class="pairing-status__body">
        <p class="pairing-status__title">Not paired any more</p>
        <p class="pairing-status__detail">
          {joinNames(names)} unpaired this device, so nothing can be sent between them. To pair again, open
          DirectDrop on the computer, choose “Pair a device” and open the code it shows here.
        </p>
      </div>
    </div>
  );
}
