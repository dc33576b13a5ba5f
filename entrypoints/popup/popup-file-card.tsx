// A received file in the popup's list: it is already in Downloads/DirectDrop, so the one thing to do with
// it here is show it there (the file manager, with the file selected), or say why that cannot be done.

import { useState } from 'preact/hooks';
import { Button } from '../../components/button';
import { FileCard, type FileEntry } from '../../components/file-card';
import { FileIcon } from '../../components/icons';

export function PopupFileCard({
  entry,
  now,
  onRemove,
  onShow,
}: {
  entry: FileEntry;
  now: number;
  onRemove(id: string): Promise<void>;
  onShow(transferId: string, file: number): Promise<void>;
}) {
  const [problem, setProblem] = useState<string | undefined>();
  const show = async () => {
    setProblem(undefined);
    try {
      await onShow(entry.item.transferId, entry.item.file);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <FileCard
      entry={entry}
      now={now}
      compact
      problem={problem}
      onRemove={onRemove}
      actions={
        <Button small onClick={() => void show()} data-testid="file-show">
          <FileIcon size={16} />
          Show in folder
        </Button>
      }
    />
  );
}
