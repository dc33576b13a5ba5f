// Queues the same files for one or more devices: one outbox entry per device, each sent peer to peer.
// A target is a paired device's id, "all", or `nearby:<peer id>` for a nearby device that is not paired.

import type { Engine } from '../core/engine/engine';
import type { FilesQueued } from './extension-messages';

const NEARBY_PREFIX = 'nearby:';

export function nearbyTarget(peerId: string): string {
  return `${NEARBY_PREFIX}${peerId}`;
}

export async function queueFilesForDevices(
  engine: Engine,
  deviceIds: readonly string[],
  files: readonly File[],
): Promise<FilesQueued> {
  const targets = deviceIds.includes('all')
    ? engine
        .snapshot()
        .devices.filter((d) => d.status !== 'unpaired')
        .map((d) => d.deviceId)
    : [...deviceIds];
  if (targets.length === 0) throw new Error('Pair a device first.');
  const described = files.map((f) => ({ name: f.name || 'file', size: f.size, type: f.type }));
  const entries: FilesQueued['entries'] = [];
  const toSend = files.map((f, i) => ({
    ...(described[i] ?? { name: 'file', size: f.size, type: f.type }),
    data: f,
  }));
  for (const target of targets) {
    const entryId = target.startsWith(NEARBY_PREFIX)
      ? await engine.sendFilesNearby(target.slice(NEARBY_PREFIX.length), toSend)
      : await engine.sendFiles(target, toSend);
    entries.push({ deviceId: target, entryId });
  }
  return { entries, files: described };
}
