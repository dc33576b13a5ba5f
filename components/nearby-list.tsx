// The "Nearby" section's content: devices on the same network that are not paired, and the switch that
// makes this device visible to them (off: only paired devices can reach it).

import type { NearbyView } from '../core/engine/nearby-view';
import { type NearbyActions, NearbyRow } from './nearby-row';

export function NearbyList({
  nearby,
  visible,
  onSetVisible,
  actions,
  onPickElsewhere,
}: {
  nearby: readonly NearbyView[];
  visible: boolean;
  onSetVisible(visible: boolean): Promise<void>;
  actions: NearbyActions;
  /** Set where a file dialog would close the page (Firefox's popup): "Send files" opens a page for it. */
  onPickElsewhere?: (() => void) | undefined;
}) {
  return (
    <div class="nearby">
      {nearby.length > 0 ? (
        <ul class="device-list" data-testid="nearby-list">
          {nearby.map((device) => (
            <NearbyRow
              key={device.peerId}
              device={device}
              actions={actions}
              onPickElsewhere={onPickElsewhere}
            />
          ))}
        </ul>
      ) : (
        <p class="empty-note" data-testid="nearby-empty">
          No other devices on this network. Open DirectDrop on a device on the same Wi-Fi to see it here.
        </p>
      )}
      <label class="toggle toggle--small nearby__visibility">
        <input
          class="toggle__input"
          type="checkbox"
          role="switch"
          data-testid="nearby-visible"
          checked={visible}
          aria-checked={visible}
          onChange={(event) => void onSetVisible(event.currentTarget.checked)}
        />
        <span>
          {visible ? 'Visible to nearby devices' : 'Hidden: only paired devices can reach this device'}
        </span>
      </label>
    </div>
  );
}
