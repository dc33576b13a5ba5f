// Words and numbers for file transfers, kept short enough for a 400-pixel popup row: what is being sent
// ("holiday.jpg", "3 files"), how far it got, how fast, how long is left, and which way the bytes travel.

import { formatBytes } from '../core/transfer/incoming-transfer';
import type { ConnectionPath } from '../core/transport';

export { formatBytes };

interface NamedFile {
  name: string;
  size: number;
}

/** "holiday.jpg" for one file, "3 files" for several. */
export function filesTitle(files: readonly NamedFile[]): string {
  const [first] = files;
  if (files.length === 1 && first) return first.name;
  return `${files.length} files`;
}

/** The names of several files on one line, for the row under "3 files"; nothing for a single file. */
export function fileNamesLine(files: readonly NamedFile[]): string | undefined {
  return files.length > 1 ? files.map((f) => f.name).join(', ') : undefined;
}

export function totalSize(files: readonly NamedFile[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** "8 s left", "3 min left", "1 h 5 min left": rounded up, because "0 s left" while bytes still flow is a lie. */
export function formatTimeLeft(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} s left`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return `${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min left` : `${hours} h left`;
}

/** "12.4 MB of 48.0 MB". */
export function formatProgress(done: number, total: number): string {
  return `${formatBytes(done)} of ${formatBytes(total)}`;
}

/**
 * What the path badge says. A relay is named as such, with the reassurance people look for: TURN only
 * forwards encrypted packets. When the browser did not say which route won, the badge does not guess.
 */
export const PATH_LABELS: Record<ConnectionPath, string> = {
  lan: 'Direct · local network',
  internet: 'Direct · internet',
  relay: 'Relayed via TURN (still end-to-end encrypted)',
  unknown: 'Peer to peer · route unknown',
};

export const PRIVACY_LINE = 'Peer to peer, end-to-end encrypted. No server keeps a copy.';
