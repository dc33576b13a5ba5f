// A received file on the companion, with what a phone can do with it: Save (a download link to the file
// in the browser's private storage), Share (to other apps, where the system share sheet takes files),
// Open (in a new tab, only for types that are safe to show) and Remove (from the inbox and the storage).
// The File is read from the store once per card and its blob: URLs are revoked when the card goes.

import { useEffect, useState } from 'preact/hooks';
import { Button, buttonClass } from '../../components/button';
import { FileCard, type FileEntry } from '../../components/file-card';
import { ExternalIcon, SaveIcon, ShareIcon } from '../../components/icons';
import type { BrowserFileStore } from '../../utils/browser-file-store';
import { openableType } from './openable-type';

/** What the card needs from the store. */
export type ReceivedFiles = Pick<BrowserFileStore, 'getFile' | 'remove'>;

interface LoadedFile {
  file: File;
  saveUrl: string;
  openUrl: string | undefined;
}

type Loading = { state: 'loading' } | { state: 'ready'; loaded: LoadedFile } | { state: 'missing' };

function useStoredFile(files: ReceivedFiles | undefined, entry: FileEntry): Loading {
  const { transferId, file, name, type } = entry.item;
  const [loading, setLoading] = useState<Loading>({ state: 'loading' });
  useEffect(() => {
    if (!files) {
      setLoading({ state: 'missing' });
      return;
    }
    let current: LoadedFile | undefined;
    let cancelled = false;
    files.getFile(transferId, file, name, type).then(
      (stored) => {
        if (cancelled) return;
        const open = openableType(type);
        current = {
          file: stored,
          saveUrl: URL.createObjectURL(stored),
          // A slice carries the checked type without copying the bytes.
          openUrl: open ? URL.createObjectURL(stored.slice(0, stored.size, open)) : undefined,
        };
        setLoading({ state: 'ready', loaded: current });
      },
      () => {
        if (!cancelled) setLoading({ state: 'missing' });
      },
    );
    return () => {
      cancelled = true;
      if (current) {
        URL.revokeObjectURL(current.saveUrl);
        if (current.openUrl) URL.revokeObjectURL(current.openUrl);
      }
    };
  }, [files, transferId, file, name, type]);
  return loading;
}

function canShareFile(file: File): boolean {
  try {
    return navigator.canShare?.({ files: [file] }) === true;
  } catch {
    return false;
  }
}

interface ReceivedFileCardProps {
  entry: FileEntry;
  now: number;
  files: ReceivedFiles | undefined;
  onRemoveEntry(id: string): Promise<void>;
}

export function ReceivedFileCard({ entry, now, files, onRemoveEntry }: ReceivedFileCardProps) {
  const loading = useStoredFile(files, entry);
  const [shareError, setShareError] = useState<string | undefined>();
  const { name } = entry.item;

  const remove = async (id: string) => {
    // The bytes go first; a file already gone from storage must still leave the list.
    await files?.remove(entry.item.transferId, entry.item.file).catch(() => {});
    await onRemoveEntry(id);
  };

  const share = (file: File) => {
    setShareError(undefined);
    navigator.share({ files: [file], title: name }).catch((failure: unknown) => {
      // Closing the share sheet is not an error.
      if (failure instanceof DOMException && failure.name === 'AbortError') return;
      setShareError(
        `Couldn’t share ${name}: ${failure instanceof Error ? failure.message : String(failure)}`,
      );
    });
  };

  const loaded = loading.state === 'ready' ? loading.loaded : undefined;
  return (
    <FileCard
      entry={entry}
      now={now}
      onRemove={remove}
      problem={
        loading.state === 'missing'
          ? 'This file is no longer stored on this device (the browser may have cleared its storage).'
          : shareError
      }
      actions={
        loaded ? (
          <>
            <a
              class={buttonClass({ variant: 'primary', small: true }, undefined)}
              href={loaded.saveUrl}
              download={name}
              data-testid="file-save"
            >
              <SaveIcon size={15} />
              Save
            </a>
            {canShareFile(loaded.file) ? (
              <Button small data-testid="file-share" onClick={() => share(loaded.file)}>
                <ShareIcon size={15} />
                Share
              </Button>
            ) : null}
            {loaded.openUrl ? (
              <a
                class={buttonClass({ variant: 'secondary', small: true }, undefined)}
                href={loaded.openUrl}
                target="_blank"
                rel="noopener noreferrer"
                data-testid="file-open"
              >
                <ExternalIcon size={15} />
                Open
              </a>
            ) : null}
          </>
        ) : loading.state === 'loading' ? (
          <span class="muted file-card__loading">Preparing…</span>
        ) : null
      }
    />
  );
}
