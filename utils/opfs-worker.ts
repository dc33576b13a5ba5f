// The one worker that owns received files in the Origin Private File System: it appends with synchronous
// access handles (the only fast OPFS write path, and workers-only), hashes every byte as it is written, and
// answers the page-side store (utils/opfs-file-store.ts), which knows nothing of the layout below.
//
// On disk: directdrop/incoming/<transferId>/<fileIndex>, plus an empty "<fileIndex>.partial" marker for
// as long as the file is incomplete, so an unfinished file is recognisable after a reload or a crash. The
// peer's file name never reaches the disk.

import { createFileDigest } from '../core/transfer/file-digest';
import type { Hasher } from '../core/transfer/file-io';

/** What the store asks; every request carries an id that its reply repeats. */
export type OpfsRequest =
  | { op: 'open'; transferId: string; file: number; resume: boolean }
  | { op: 'write'; sink: number; buffer: ArrayBuffer; offset: number; length: number }
  | { op: 'finish'; sink: number }
  | { op: 'discard'; sink: number; transferId: string; file: number }
  | { op: 'discard-partial'; transferId: string }
  | { op: 'remove'; transferId: string; file: number }
  | { op: 'get-file'; transferId: string; file: number }
  | { op: 'sweep'; maxAgeMs: number };

export interface OpfsResults {
  open: { sink: number; written: number };
  /** The buffer the bytes came in, handed back so the page can reuse it for the next write. */
  write: { written: number; buffer: ArrayBuffer };
  finish: { digest: ArrayBuffer };
  discard: undefined;
  'discard-partial': undefined;
  remove: undefined;
  'get-file': { file: File };
  sweep: { removed: number };
}

export type OpfsReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } };

// lib.dom has no sync access handles (they exist only in workers), and this file is type-checked with it.
interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
interface WorkerFileHandle extends FileSystemFileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
}
interface WorkerScope {
  onmessage: ((event: MessageEvent<{ id: number; request: OpfsRequest }>) => void) | null;
  postMessage(message: OpfsReply, transfer?: Transferable[]): void;
}

/** Transfer ids are validated by core already; this keeps any other string from becoming a path. */
const TRANSFER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PARTIAL_SUFFIX = '.partial';
/** Resuming re-reads what is on disk to rebuild the hash; this is all it holds at once. */
const REHASH_BUFFER_BYTES = 1024 * 1024;
/** Each open file costs a handle and a WASM hasher; an engine has a handful, so this only stops leaks. */
const MAX_OPEN_SINKS = 64;
/** A reloaded page can reach a file before the browser has released the previous page's lock on it. */
const LOCK_RETRY_DELAYS_MS = [50, 100, 200, 400, 800, 1600];

interface OpenSink {
  transferId: string;
  file: number;
  handle: SyncAccessHandle;
  hasher: Hasher;
  written: number;
}

const sinks = new Map<number, OpenSink>();
let nextSinkId = 1;

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function checkTransferId(transferId: string): void {
  if (!TRANSFER_ID.test(transferId)) throw namedError('TypeError', 'Invalid transfer id for file storage.');
}

function checkFileIndex(file: number): void {
  if (!Number.isSafeInteger(file) || file < 0) throw namedError('TypeError', 'Invalid file index.');
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

async function incomingDirectory(): Promise<FileSystemDirectoryHandle> {
  if (!navigator.storage?.getDirectory) {
    throw namedError(
      'NotSupportedError',
      'This browser cannot store received files here (no Origin Private File System; private windows often lack one).',
    );
  }
  const root = await navigator.storage.getDirectory();
  const app = await root.getDirectoryHandle('directdrop', { create: true });
  return app.getDirectoryHandle('incoming', { create: true });
}

async function transferDirectory(
  transferId: string,
  create: boolean,
): Promise<FileSystemDirectoryHandle | undefined> {
  checkTransferId(transferId);
  try {
    return await (await incomingDirectory()).getDirectoryHandle(transferId, { create });
  } catch (error) {
    if (!create && isNamed(error, 'NotFoundError')) return undefined;
    throw error;
  }
}

async function removeEntryIfPresent(directory: FileSystemDirectoryHandle, name: string): Promise<void> {
  try {
    await directory.removeEntry(name);
  } catch (error) {
    if (!isNamed(error, 'NotFoundError')) throw error;
  }
}

async function fileHandleIfPresent(
  directory: FileSystemDirectoryHandle,
  name: string,
): Promise<FileSystemFileHandle | undefined> {
  try {
    return await directory.getFileHandle(name);
  } catch (error) {
    if (isNamed(error, 'NotFoundError') || isNamed(error, 'TypeMismatchError')) return undefined;
    throw error;
  }
}

async function entryNames(directory: FileSystemDirectoryHandle): Promise<string[]> {
  const names: string[] = [];
  // keys() is missing from lib.dom's FileSystemDirectoryHandle in this TypeScript version.
  const iterable = directory as unknown as { keys(): AsyncIterable<string> };
  for await (const name of iterable.keys()) names.push(name);
  return names;
}

/** A transfer's folder goes once nothing is left in it, so finished transfers leave no trace. */
async function removeTransferDirectoryIfEmpty(transferId: string): Promise<void> {
  const directory = await transferDirectory(transferId, false);
  if (!directory || (await entryNames(directory)).length > 0) return;
  try {
    await (await incomingDirectory()).removeEntry(transferId);
  } catch (error) {
    // Something was added meanwhile, or it is already gone: both are fine.
    if (!isNamed(error, 'InvalidModificationError') && !isNamed(error, 'NotFoundError')) throw error;
  }
}

async function openSyncHandle(handle: FileSystemFileHandle): Promise<SyncAccessHandle> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (handle as WorkerFileHandle).createSyncAccessHandle();
    } catch (error) {
      const delay = LOCK_RETRY_DELAYS_MS[attempt];
      if (!isNamed(error, 'NoModificationAllowedError')) throw error;
      if (delay === undefined) {
        throw namedError(
          'NoModificationAllowedError',
          'The file is open elsewhere (another tab or window of DirectDrop is writing it).',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Closes a file this worker has open without touching what is on disk. */
function closeSink(id: number): OpenSink | undefined {
  const sink = sinks.get(id);
  if (!sink) return undefined;
  sinks.delete(id);
  try {
    sink.handle.flush();
  } finally {
    sink.handle.close();
  }
  return sink;
}

function openSinkIds(transferId: string, file?: number): number[] {
  const ids: number[] = [];
  for (const [id, sink] of sinks) {
    if (sink.transferId === transferId && (file === undefined || sink.file === file)) ids.push(id);
  }
  return ids;
}

function sinkFor(id: number): OpenSink {
  const sink = sinks.get(id);
  if (!sink)
    throw namedError('InvalidStateError', 'The file is no longer open (it was finished or discarded).');
  return sink;
}

async function open(transferId: string, file: number, resume: boolean): Promise<OpfsResults['open']> {
  checkFileIndex(file);
  // The same file opened again (a new attempt on this page) supersedes the old sink, whose lock would
  // otherwise keep the new one out.
  for (const id of openSinkIds(transferId, file)) closeSink(id);
  if (sinks.size >= MAX_OPEN_SINKS) {
    throw namedError('InvalidStateError', 'Too many received files are open at once.');
  }
  const directory = await transferDirectory(transferId, true);
  if (!directory) throw namedError('NotFoundError', 'Could not create the folder for received files.');
  // The marker comes first: a file without one counts as complete and would survive cleanup.
  await directory.getFileHandle(`${file}${PARTIAL_SUFFIX}`, { create: true });
  const handle = await openSyncHandle(await directory.getFileHandle(String(file), { create: true }));
  try {
    if (!resume) handle.truncate(0);
    const hasher = createFileDigest(nativeSha256);
    const written = handle.getSize();
    rehash(handle, hasher, written);
    const id = nextSinkId++;
    sinks.set(id, { transferId, file, handle, hasher, written });
    return { sink: id, written };
  } catch (error) {
    handle.close();
    throw error;
  }
}

/** Streams the bytes an earlier attempt left through the hash, through one bounded buffer. */
function rehash(handle: SyncAccessHandle, hasher: Hasher, size: number): void {
  if (size === 0) return;
  const buffer = new Uint8Array(Math.min(REHASH_BUFFER_BYTES, size));
  let position = 0;
  while (position < size) {
    const read = handle.read(buffer.subarray(0, Math.min(buffer.length, size - position)), { at: position });
    if (read <= 0) throw namedError('NotReadableError', 'Could not read back the partly received file.');
    // The digest copies what it needs at once, so the one buffer can be reused for the next read.
    hasher.update(buffer.subarray(0, read));
    position += read;
  }
}

/** The platform's SHA-256 (native code using the CPU's SHA instructions where it has them). */
function nativeSha256(data: Uint8Array): Promise<Uint8Array> {
  return crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>).then((d) => new Uint8Array(d));
}

function write(id: number, bytes: Uint8Array): { written: number } {
  const sink = sinkFor(id);
  let count: number;
  try {
    count = sink.handle.write(bytes, { at: sink.written });
  } catch (error) {
    dropTail(sink);
    if (isNamed(error, 'QuotaExceededError')) {
      throw namedError('QuotaExceededError', 'Not enough storage space (the storage quota is exceeded).');
    }
    throw error;
  }
  if (count !== bytes.length) {
    dropTail(sink);
    throw namedError(
      'QuotaExceededError',
      `Not enough storage space: only ${count} of ${bytes.length} bytes could be written (disk full).`,
    );
  }
  // Hashed only once on disk, so the digest never covers bytes the file does not hold.
  sink.hasher.update(bytes);
  sink.written += count;
  return { written: sink.written };
}

/** A failed write may have left part of its bytes; the file must end exactly at what was acknowledged. */
function dropTail(sink: OpenSink): void {
  try {
    if (sink.handle.getSize() !== sink.written) sink.handle.truncate(sink.written);
  } catch {
    // The write error is the one to report; a longer file only fails verification later.
  }
}

async function finish(id: number): Promise<OpfsResults['finish']> {
  const sink = sinkFor(id);
  const digest = await sink.hasher.digest();
  closeSink(id);
  const directory = await transferDirectory(sink.transferId, false);
  if (!directory)
    throw namedError('NotFoundError', 'The received file was deleted while it was being written.');
  await removeEntryIfPresent(directory, `${sink.file}${PARTIAL_SUFFIX}`);
  const buffer = digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength) as ArrayBuffer;
  return { digest: buffer };
}

async function deleteFile(transferId: string, file: number): Promise<void> {
  const directory = await transferDirectory(transferId, false);
  if (!directory) return;
  // Data before marker: a crash in between leaves a marker alone, which cleanup still recognises.
  await removeEntryIfPresent(directory, String(file));
  await removeEntryIfPresent(directory, `${file}${PARTIAL_SUFFIX}`);
  await removeTransferDirectoryIfEmpty(transferId);
}

/** Deletes the sink's file whether it is still open, finished, or failed half-way through finishing. */
async function discard(id: number, transferId: string, file: number): Promise<void> {
  checkFileIndex(file);
  if (sinks.has(id)) closeSink(id);
  // A newer sink for the same file (a later attempt) owns it now.
  else if (openSinkIds(transferId, file).length > 0) return;
  await deleteFile(transferId, file);
}

async function discardPartial(transferId: string): Promise<void> {
  for (const id of openSinkIds(transferId)) closeSink(id);
  const directory = await transferDirectory(transferId, false);
  if (!directory) return;
  for (const name of await entryNames(directory)) {
    const file = partialIndex(name);
    if (file !== undefined) await deleteFile(transferId, file);
  }
  await removeTransferDirectoryIfEmpty(transferId);
}

function partialIndex(name: string): number | undefined {
  if (!name.endsWith(PARTIAL_SUFFIX)) return undefined;
  const index = Number(name.slice(0, -PARTIAL_SUFFIX.length));
  return Number.isSafeInteger(index) && index >= 0 ? index : undefined;
}

async function remove(transferId: string, file: number): Promise<void> {
  checkFileIndex(file);
  for (const id of openSinkIds(transferId, file)) closeSink(id);
  await deleteFile(transferId, file);
}

async function getFile(transferId: string, file: number): Promise<OpfsResults['get-file']> {
  checkFileIndex(file);
  const directory = await transferDirectory(transferId, false);
  const handle = directory && (await fileHandleIfPresent(directory, String(file)));
  if (!directory || !handle) {
    throw namedError('NotFoundError', 'The received file is no longer stored on this device.');
  }
  if (
    openSinkIds(transferId, file).length > 0 ||
    (await fileHandleIfPresent(directory, `${file}${PARTIAL_SUFFIX}`))
  ) {
    throw namedError('InvalidStateError', 'The file has not been received completely.');
  }
  // A disk-backed File: posting it to the page passes a reference, not the bytes.
  return { file: await handle.getFile() };
}

/** Deletes partial files nobody has written for maxAgeMs; files open here or in another tab stay. */
async function sweep(maxAgeMs: number): Promise<OpfsResults['sweep']> {
  const incoming = await incomingDirectory();
  const now = Date.now();
  let removed = 0;
  for (const transferId of await entryNames(incoming)) {
    if (!TRANSFER_ID.test(transferId)) continue;
    const directory = await transferDirectory(transferId, false);
    if (!directory) continue;
    for (const name of await entryNames(directory)) {
      const file = partialIndex(name);
      if (file === undefined || openSinkIds(transferId, file).length > 0) continue;
      const lastWrite = Math.max(
        await lastModified(directory, name),
        await lastModified(directory, String(file)),
      );
      if (now - lastWrite <= maxAgeMs) continue;
      try {
        await deleteFile(transferId, file);
        removed++;
      } catch (error) {
        // Locked by another tab that is still receiving it.
        if (!isNamed(error, 'NoModificationAllowedError')) throw error;
      }
    }
    await removeTransferDirectoryIfEmpty(transferId);
  }
  return { removed };
}

async function lastModified(directory: FileSystemDirectoryHandle, name: string): Promise<number> {
  const handle = await fileHandleIfPresent(directory, name);
  if (!handle) return 0;
  try {
    return (await handle.getFile()).lastModified;
  } catch {
    // Unreadable while another tab holds it: treat as in use.
    return Number.POSITIVE_INFINITY;
  }
}

async function handle(request: OpfsRequest): Promise<{ result: unknown; transfer?: Transferable[] }> {
  switch (request.op) {
    case 'open':
      return { result: await open(request.transferId, request.file, request.resume) };
    case 'write': {
      const { written } = write(request.sink, new Uint8Array(request.buffer, request.offset, request.length));
      const result: OpfsResults['write'] = { written, buffer: request.buffer };
      return { result, transfer: [request.buffer] };
    }
    case 'finish': {
      const result = await finish(request.sink);
      return { result, transfer: [result.digest] };
    }
    case 'discard':
      return { result: await discard(request.sink, request.transferId, request.file) };
    case 'discard-partial':
      return { result: await discardPartial(request.transferId) };
    case 'remove':
      return { result: await remove(request.transferId, request.file) };
    case 'get-file':
      return { result: await getFile(request.transferId, request.file) };
    case 'sweep':
      return { result: await sweep(request.maxAgeMs) };
    default:
      throw namedError('TypeError', 'Unknown storage request.');
  }
}

function errorFields(error: unknown): { name: string; message: string } {
  if (typeof error === 'object' && error !== null) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return {
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' && message ? message : String(error),
    };
  }
  return { name: 'Error', message: String(error) };
}

const scope = globalThis as unknown as WorkerScope;
// One request at a time, in arrival order: a sink's writes and a cleanup of the same transfer never
// interleave. The store bounds how many requests can be waiting here.
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const { id, request } = event.data;
  queue = queue.then(async () => {
    try {
      const { result, transfer } = await handle(request);
      scope.postMessage({ id, ok: true, result }, transfer ?? []);
    } catch (error) {
      scope.postMessage({ id, ok: false, error: errorFields(error) });
    }
  });
};
