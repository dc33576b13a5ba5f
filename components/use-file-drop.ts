// Files dragged from the desktop onto an element: whether a drag is over it (for the highlight) and the
// dropped files. Folders are skipped and counted, because a folder arrives as an unreadable zero-byte
// "file". While a page takes drops, a drop that misses the target must not navigate the page to the file.

import { useEffect, useRef, useState } from 'preact/hooks';

export interface DroppedFiles {
  files: File[];
  /** Folders that were dropped and left out. */
  skippedFolders: number;
}

export interface FileDropHandlers {
  onDragEnter(event: DragEvent): void;
  onDragOver(event: DragEvent): void;
  onDragLeave(event: DragEvent): void;
  onDrop(event: DragEvent): void;
}

function carriesFiles(event: DragEvent): boolean {
  return [...(event.dataTransfer?.types ?? [])].includes('Files');
}

export function filesFromDrop(transfer: DataTransfer): DroppedFiles {
  const files: File[] = [];
  let skippedFolders = 0;
  const items = [...transfer.items].filter((item) => item.kind === 'file');
  if (items.length === 0) return { files: [...transfer.files], skippedFolders };
  for (const item of items) {
    if (item.webkitGetAsEntry?.()?.isDirectory) {
      skippedFolders++;
      continue;
    }
    const file = item.getAsFile();
    if (file) files.push(file);
  }
  return { files, skippedFolders };
}

export function useFileDrop(
  onDrop: (dropped: DroppedFiles) => void,
  enabled = true,
): { dragging: boolean; handlers: FileDropHandlers } {
  const [dragging, setDragging] = useState(false);
  // dragenter/dragleave fire for every child crossed: count them so the highlight does not flicker.
  const depth = useRef(0);
  const latest = useRef(onDrop);
  latest.current = onDrop;

  useEffect(() => {
    const guard = (event: DragEvent) => {
      if (carriesFiles(event)) event.preventDefault();
    };
    addEventListener('dragover', guard);
    addEventListener('drop', guard);
    return () => {
      removeEventListener('dragover', guard);
      removeEventListener('drop', guard);
    };
  }, []);

  useEffect(() => {
    if (!enabled) {
      depth.current = 0;
      setDragging(false);
    }
  }, [enabled]);

  const handlers: FileDropHandlers = {
    onDragEnter(event) {
      if (!enabled || !carriesFiles(event)) return;
      event.preventDefault();
      depth.current++;
      setDragging(true);
    },
    onDragOver(event) {
      if (!enabled || !carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave(event) {
      if (!enabled || !carriesFiles(event)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    },
    onDrop(event) {
      if (!enabled || !event.dataTransfer || !carriesFiles(event)) return;
      event.preventDefault();
      depth.current = 0;
      setDragging(false);
      latest.current(filesFromDrop(event.dataTransfer));
    },
  };
  return { dragging, handlers };
}
