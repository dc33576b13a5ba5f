// Handing files picked in an extension page (popup, send page) to the engine host. Runtime messages
// cannot carry Blobs on Chrome, but a BroadcastChannel between same-origin extension contexts can: the
// File arrives as a reference to the same bytes, with no copy and nothing read into memory.

import type { FilesQueued, RpcResult } from './extension-messages';

const CHANNEL = 'directdrop-file-handoff';
const TIMEOUT_MS = 60_000;

interface HandoffRequest {
  kind: 'send-files';
  requestId: string;
  deviceIds: string[];
  files: File[];
}
interface HandoffReply {
  kind: 'result';
  requestId: string;
  result: RpcResult<FilesQueued>;
}

/** Page side. The engine host must be running (ask the engine anything first). */
export function handOverFiles(deviceIds: string[], files: File[]): Promise<RpcResult<FilesQueued>> {
  const channel = new BroadcastChannel(CHANNEL);
  const requestId = crypto.randomUUID();
  return new Promise<RpcResult<FilesQueued>>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, error: 'DirectDrop did not take the files in time. Try again.' }),
      TIMEOUT_MS,
    );
    channel.onmessage = (event: MessageEvent<HandoffReply>) => {
      if (event.data?.kind !== 'result' || event.data.requestId !== requestId) return;
      clearTimeout(timer);
      resolve(event.data.result);
    };
    const request: HandoffRequest = { kind: 'send-files', requestId, deviceIds, files };
    channel.postMessage(request);
  }).finally(() => channel.close());
}

/** Engine-host side: answers every hand-over with the outcome of queuing the files. */
export function acceptHandedOverFiles(
  queue: (deviceIds: string[], files: File[]) => Promise<RpcResult<FilesQueued>>,
): () => void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = async (event: MessageEvent<HandoffRequest>) => {
    const request = event.data;
    if (request?.kind !== 'send-files' || !Array.isArray(request.files)) return;
    const reply: HandoffReply = {
      kind: 'result',
      requestId: request.requestId,
      result: await queue(request.deviceIds, request.files),
    };
    channel.postMessage(reply);
  };
  return () => channel.close();
}
