// The last few finished downloads, each with "Send to <device>" (or a short device menu when there are
// several). Sending one needs the browser's permission to read it from the site it came from; the row
// says so in one line while that question is up, and if the file can no longer be read it says why and
// offers the file picker instead, so the user is never stuck.

import { useState } from 'preact/hooks';
import type { DeviceView } from '../core/engine/engine';
import { Button } from './button';
import { ALL_DEVICES, sendableDevices, targetDevices } from './device-target-picker';
import { FilePickerButton } from './file-picker';
import { formatBytes } from './format-transfer';
import { ChevronDownIcon, FileTypeIcon, PaperclipIcon, SendIcon } from './icons';
import { formatRelativeTime } from './relative-time';
import { describeHandedOver, type SendFilesOutcome, SendFilesResult } from './send-files';

/** A download as the list needs it (the extension's RecentDownload fits). */
export interface DownloadView {
  id: number;
  name: string;
  size: number;
  mime: string;
  endTime?: string | undefined;
  /** Where the file was downloaded from, e.g. "https://example.com". */
  origin?: string | undefined;
}

/** The site a download is read from, as people recognise it ("example.com"). */
export function downloadHost(download: DownloadView): string | undefined {
  if (!download.origin) return undefined;
  try {
    const url = new URL(download.origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : undefined;
  } catch {
    return undefined;
  }
}

/** Existing files only, newest first, at most `limit`. */
export function recentFirst<T extends DownloadView & { exists: boolean }>(
  downloads: readonly T[],
  limit = 5,
): T[] {
  const time = (d: T) => (d.endTime ? Date.parse(d.endTime) || 0 : 0);
  return downloads
    .filter((d) => d.exists)
    .sort((a, b) => time(b) - time(a))
    .slice(0, limit);
}

interface RecentDownloadsProps {
  downloads: readonly DownloadView[];
  devices: readonly DeviceView[];
  now: number;
  /**
   * Sends a download. Called straight from the click, because asking for the site permission needs the
   * user's gesture. Resolves "moved" when the host continued elsewhere (e.g. opened a page).
   */
  onSend(download: DownloadView, deviceIds: string[]): Promise<'sent' | 'moved'>;
  /** The fallback when the download cannot be read: the same file, chosen by hand. */
  onSendFiles(deviceIds: string[], files: File[]): Promise<void>;
  /** Where a file picker cannot open here (Firefox popup): continue on a page instead. */
  onPickElsewhere?: (() => void) | undefined;
}

export function RecentDownloads({
  downloads,
  devices,
  now,
  onSend,
  onSendFiles,
  onPickElsewhere,
}: RecentDownloadsProps) {
  return (
    <ul class="item-list">
      {downloads.map((download) => (
        <DownloadRow
          key={download.id}
          download={download}
          devices={devices}
          now={now}
          onSend={onSend}
          onSendFiles={onSendFiles}
          onPickElsewhere={onPickElsewhere}
        />
      ))}
    </ul>
  );
}

type RowState =
  | { kind: 'idle' }
  | { kind: 'choosing' }
  | { kind: 'sending' }
  | { kind: 'done'; outcome: SendFilesOutcome }
  | { kind: 'unreadable'; error: string; deviceIds: string[] };

function DownloadRow({
  download,
  devices,
  now,
  onSend,
  onSendFiles,
  onPickElsewhere,
}: { download: DownloadView } & Omit<RecentDownloadsProps, 'downloads'>) {
  const [state, setState] = useState<RowState>({ kind: 'idle' });
  const sendable = sendableDevices(devices);
  const host = downloadHost(download);
  const ended = download.endTime ? Date.parse(download.endTime) : Number.NaN;

  const send = (deviceIds: string[]) => {
    setState({ kind: 'sending' });
    // No await before onSend: the permission prompt it may open needs this click's user activation.
    onSend(download, deviceIds).then(
      (result) => {
        if (result === 'moved') setState({ kind: 'idle' });
        else {
          const targets = sendable.filter((d) => deviceIds.includes(d.deviceId));
          setState({ kind: 'done', outcome: describeHandedOver([download], targets) });
        }
      },
      (failure: unknown) =>
        setState({
          kind: 'unreadable',
          error: failure instanceof Error ? failure.message : String(failure),
          deviceIds,
        }),
    );
  };

  const sendPicked = (deviceIds: string[], files: File[]) => {
    setState({ kind: 'sending' });
    onSendFiles(deviceIds, files).then(
      () => {
        const targets = sendable.filter((d) => deviceIds.includes(d.deviceId));
        setState({ kind: 'done', outcome: describeHandedOver(files, targets) });
      },
      (failure: unknown) =>
        setState({
          kind: 'done',
          outcome: { state: 'error', message: failure instanceof Error ? failure.message : String(failure) },
        }),
    );
  };

  const only = sendable.length === 1 ? sendable[0] : undefined;

  return (
    <li class="download-row" data-testid="download-row" data-download-id={download.id}>
      <span class="item-card__kind download-row__icon">
        <FileTypeIcon type={download.mime} size={18} />
      </span>
      <p class="download-row__name" title={download.name}>
        {download.name}
      </p>
      <p class="download-row__meta">
        {formatBytes(download.size)}
        {host ? ` · ${host}` : ''}
        {Number.isFinite(ended) ? ` · ${formatRelativeTime(ended, now)}` : ''}
      </p>
      {only ? (
        <Button
          small
          class="download-row__send"
          data-testid="download-send"
          disabled={state.kind === 'sending'}
          onClick={() => send([only.deviceId])}
          title={`Send ${download.name} to ${only.name}`}
        >
          <SendIcon size={14} />
          <span class="download-row__send-label">Send to {only.name}</span>
        </Button>
      ) : (
        <Button
          small
          class="download-row__send"
          data-testid="download-send"
          aria-expanded={state.kind === 'choosing'}
          disabled={state.kind === 'sending' || sendable.length === 0}
          onClick={() => setState(state.kind === 'choosing' ? { kind: 'idle' } : { kind: 'choosing' })}
        >
          <SendIcon size={14} />
          Send
          <ChevronDownIcon size={14} />
        </Button>
      )}

      {state.kind === 'choosing' || (state.kind === 'sending' && host) ? (
        <p class="download-row__why">
          {host
            ? `DirectDrop reads the file from ${host} to send it.`
            : 'DirectDrop reads the file from your downloads to send it.'}
        </p>
      ) : null}
      {state.kind === 'choosing' ? (
        <fieldset class="download-row__menu">
          <legend class="visually-hidden">Send {download.name} to</legend>
          {sendable.map((device) => (
            <Button
              key={device.deviceId}
              small
              variant="secondary"
              data-testid="download-send-to"
              data-device-id={device.deviceId}
              onClick={() => send([device.deviceId])}
            >
              {device.name}
            </Button>
          ))}
          <Button
            small
            variant="secondary"
            data-testid="download-send-to"
            data-device-id={ALL_DEVICES}
            onClick={() => send(targetDevices(devices, ALL_DEVICES).map((d) => d.deviceId))}
          >
            All devices
          </Button>
        </fieldset>
      ) : null}
      {state.kind === 'done' ? (
        <div class="download-row__result">
          <SendFilesResult outcome={state.outcome} testId="download-result" />
        </div>
      ) : null}
      {state.kind === 'unreadable' ? (
        <div class="download-row__result">
          <p class="banner banner--problem" data-testid="download-result" data-state="error" role="alert">
            {state.error}
          </p>
          {onPickElsewhere ? (
            <Button small onClick={onPickElsewhere}>
              <PaperclipIcon size={14} />
              Choose the file instead…
            </Button>
          ) : (
            <FilePickerButton
              small
              variant="secondary"
              testId="download-pick-input"
              onFiles={(files) => sendPicked(state.deviceIds, files)}
            >
              <PaperclipIcon size={14} />
              Choose the file instead
            </FilePickerButton>
          )}
        </div>
      ) : null}
    </li>
  );
}
