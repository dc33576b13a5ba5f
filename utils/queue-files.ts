// Queues the same files for one or more devices: one outbox entry per device, each sent peer to peer.

import type { Engine } from '../core/engine/engine';
import type { FilesQueued } from './extension-messages';

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
  for (const deviceId of targets) {
    const entryId = await engine.sendFiles(
      deviceId,
      files.map((f, i) => ({ ...(described[i] ?? { name: 'file', size: f.size, type: f.type }), data: f })),
    );
    entries.push({ deviceId, entryId });
  }
  return { entries, files: described };
}
