// The OPFS file store in a real Chromium: files written through the storage worker come back byte for
// byte with the right SHA-256, resume across a page reload, are deleted by discard / discardPartial /
// sweep exactly as promised, fail with a no-space error past the quota, and a slow disk makes writes
// slow (a write resolves only once its bytes are in the file). Also the sender's hasher and blob source.

import { createHash, webcrypto } from 'node:crypto';
import { rmSync } from 'node:fs';
import { type BrowserContext, chromium, expect, type Page, test } from '@playwright/test';
import { createFileDigest } from '../../core/transfer/file-digest';
import { type OpfsHarnessServer, startOpfsHarness } from './fixtures/opfs-harness/harness-server';
import type { OpfsHarness } from './fixtures/opfs-harness/main';
import { patternBytes } from './fixtures/opfs-harness/pattern';
import { CHROMIUM_PATH, newProfileDir } from './support/browsers';

declare global {
  var opfsHarness: OpfsHarness;
  var keptFile: File | undefined;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 256 * KiB;
/** What the engine treats as "out of space" (core/transfer/incoming-transfer.ts). */
const NO_SPACE = /quota|space|full/i;

test.describe.configure({ mode: 'serial' });

let server: OpfsHarnessServer;
let context: BrowserContext;
let page: Page;
let profileDir: string;

/** The transfer digest (core/transfer/file-digest.ts) Node computes for the same bytes. */
async function nodeFileDigest(seed: number, size: number): Promise<string> {
  const digest = createFileDigest(
    async (data) => new Uint8Array(await webcrypto.subtle.digest('SHA-256', data)),
  );
  digest.update(patternBytes(seed, 0, size));
  return Buffer.from(await digest.digest()).toString('hex');
}

function nodeSha256(seed: number, size: number): string {
  return createHash('sha256')
    .update(patternBytes(seed, 0, size))
    .digest('hex');
}

/** Transfer ids look like core's (22 base64url characters); each test uses its own. */
function transferId(label: string): string {
  return `${label}${'x'.repeat(22)}`.slice(0, 22);
}

async function openHarness(): Promise<void> {
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
}

test.beforeAll(async () => {
  server = await startOpfsHarness();
  profileDir = newProfileDir('opfs');
  // A profile on disk, not an incognito context, whose OPFS would live in memory.
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  await openHarness();
});

test.afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

test.beforeEach(async () => {
  await openHarness();
  await page.evaluate(() => opfsHarness.clearOpfs());
});

test('stores a multi-chunk file under its index, with the SHA-256 of its bytes, and gives it back as a disk-backed File', async () => {
  const id = transferId('whole');
  const size = 5 * MiB + 12_345;
  const result = await page.evaluate(
    async ({ id, size, chunk }) => {
      const h = opfsHarness;
      const sink = await h.store.open({
        transferId: id,
        file: 0,
        name: 'holiday photo.jpg',
        size,
        type: 'image/jpeg',
        resume: false,
      });
      const startedAt = sink.written;
      // Every chunk is a view into a larger "frame" with other bytes around it.
      await h.writePattern(sink, 7, 0, size, chunk);
      const writtenBeforeFinish = sink.written;
      const digest = h.hex(await sink.finish());
      const file = await h.store.getFile(id, 0, 'holiday photo.jpg', 'image/x-directdrop-test');
      globalThis.keptFile = file;
      const bytes = new Uint8Array(await file.arrayBuffer());
      const expected = h.patternBytes(7, 0, size);
      const firstMismatch = bytes.findIndex((b, i) => b !== expected[i]);
      return {
        startedAt,
        writtenBeforeFinish,
        digest,
        file: { name: file.name, type: file.type, size: file.size, sha256: await h.sha256Hex(file) },
        firstMismatch,
        tree: await h.listOpfs(),
      };
    },
    { id, size, chunk: CHUNK },
  );
  const expected = nodeSha256(7, size);
  expect(result.startedAt).toBe(0);
  expect(result.writtenBeforeFinish).toBe(size);
  expect(result.digest).toBe(await nodeFileDigest(7, size));
  expect(result.file).toEqual({
    name: 'holiday photo.jpg',
    type: 'image/x-directdrop-test',
    size,
    sha256: expected,
  });
  expect(result.firstMismatch).toBe(-1);
  // On disk under the file's index only; the peer's name never becomes a path, and the file is complete.
  expect(result.tree).toEqual({
    'directdrop/': 0,
    'directdrop/incoming/': 0,
    [`directdrop/incoming/${id}/`]: 0,
    [`directdrop/incoming/${id}/0`]: size,
  });

  // The File handed out refers to the OPFS file; its bytes were not copied into memory.
  const internals = await context.newPage();
  await internals.goto('chrome://blob-internals');
  // One <b>uuid</b><ul>…</ul> per blob the browser holds.
  const blobs = (await internals.content()).split('<b>');
  await internals.close();
  const wrapped = blobs.find((blob) => blob.includes('Content Type: image/x-directdrop-test'));
  expect(wrapped).toContain('Type: filesystem');
  expect(wrapped).toContain(`/directdrop/incoming/${id}/0`);
  expect(wrapped).toContain(`Length: ${size.toLocaleString('en-US')}`);
  await page.evaluate(() => {
    globalThis.keptFile = undefined;
  });

  // Ids that are not transfer ids never reach the file system.
  const refused = await page.evaluate(async () => {
    const request = { file: 0, name: 'x', size: 1, type: '', resume: false };
    const errors: string[] = [];
    for (const transferId of ['..', '../escape', 'a/b', '']) {
      await opfsHarness.store.open({ ...request, transferId }).then(
        () => errors.push('opened'),
        (error: Error) => errors.push(error.name),
      );
    }
    return errors;
  });
  expect(refused).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError']);
});

test('resumes after a page reload from the bytes already written; the final hash covers the whole file', async () => {
  const id = transferId('resume');
  const size = 2 * MiB + 3;
  const firstPart = 3 * CHUNK + 1_001;
  const before = await page.evaluate(
    async ({ id, size, firstPart, chunk }) => {
      const h = opfsHarness;
      const request = { transferId: id, name: 'movie.mkv', size, type: 'video/x-matroska' };
      const sink = await h.store.open({ ...request, file: 0, resume: false });
      await h.writePattern(sink, 21, 0, firstPart, chunk);
      // A second file that will be restarted rather than resumed.
      const other = await h.store.open({ ...request, file: 1, resume: false });
      await h.writePattern(other, 22, 0, 100_000, chunk);
      return { written: sink.written, tree: await h.listOpfs() };
    },
    { id, size, firstPart, chunk: CHUNK },
  );
  expect(before.written).toBe(firstPart);
  expect(before.tree[`directdrop/incoming/${id}/0.partial`]).toBe(0);

  // The page (and its worker, with the open handles) goes away without finishing anything.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });

  const after = await page.evaluate(
    async ({ id, size, chunk }) => {
      const h = opfsHarness;
      const request = { transferId: id, name: 'movie.mkv', size, type: 'video/x-matroska' };
      const sink = await h.store.open({ ...request, file: 0, resume: true });
      const resumedAt = sink.written;
      await h.writePattern(sink, 21, resumedAt, size, chunk);
      const digest = h.hex(await sink.finish());
      const file = await h.store.getFile(id, 0, 'movie.mkv', 'video/x-matroska');
      const restarted = await h.store.open({ ...request, file: 1, resume: false });
      const restartedAt = restarted.written;
      const tree = await h.listOpfs();
      return { resumedAt, digest, fileSha256: await h.sha256Hex(file), restartedAt, tree };
    },
    { id, size, chunk: CHUNK },
  );
  expect(after.resumedAt).toBe(firstPart);
  expect(after.digest).toBe(await nodeFileDigest(21, size));
  expect(after.fileSha256).toBe(nodeSha256(21, size));
  expect(after.tree[`directdrop/incoming/${id}/0.partial`]).toBeUndefined();
  // resume: false starts the file empty, even though an earlier attempt left bytes.
  expect(after.restartedAt).toBe(0);
  expect(after.tree[`directdrop/incoming/${id}/1`]).toBe(0);
});

test('discard deletes a file; discardPartial deletes only the unfinished files of one transfer; remove deletes a complete one', async () => {
  const a = transferId('parta');
  const b = transferId('partb');
  const c = transferId('partc');
  const d = transferId('partd');
  const result = await page.evaluate(
    async ({ a, b, c, d }) => {
      const h = opfsHarness;
      const request = { name: 'f', size: 300_000, type: '', resume: false };
      const write = async (transferId: string, file: number) => {
        const sink = await h.store.open({ ...request, transferId, file });
        await h.writePattern(sink, file, 0, 200_000, 64 * 1024);
        return sink;
      };
      const complete = await write(a, 0);
      await complete.finish();
      const partialA1 = await write(a, 1);
      await write(a, 2);
      await write(b, 0);

      const discarded = await write(c, 0);
      await discarded.discard();
      const afterDiscard = await h.listOpfs();

      // A finished file whose hash did not match is discarded after finish.
      const mismatched = await write(d, 0);
      await mismatched.finish();
      await mismatched.discard();

      const partialRead = await h.store.getFile(a, 1, 'f', '').then(
        () => 'read',
        (error: Error) => error.name,
      );
      await h.store.discardPartial(a);
      const afterDiscardPartial = await h.listOpfs();
      const writeAfterDiscardPartial = await partialA1.write(new Uint8Array(10)).then(
        () => 'written',
        (error: Error) => error.name,
      );
      const completeSize = (await h.store.getFile(a, 0, 'f', '')).size;

      await h.store.remove(a, 0);
      const afterRemove = await h.listOpfs();
      const removedRead = await h.store.getFile(a, 0, 'f', '').then(
        () => 'read',
        (error: Error) => `${error.name}: ${error.message}`,
      );
      return {
        afterDiscard,
        partialRead,
        afterDiscardPartial,
        writeAfterDiscardPartial,
        completeSize,
        afterRemove,
        removedRead,
      };
    },
    { a, b, c, d },
  );
  const dir = (id: string) => `directdrop/incoming/${id}/`;
  expect(Object.keys(result.afterDiscard).filter((path) => path.startsWith(dir(c)))).toEqual([]);
  expect(result.partialRead).toBe('InvalidStateError');
  expect(result.afterDiscardPartial).toEqual({
    'directdrop/': 0,
    'directdrop/incoming/': 0,
    [dir(a)]: 0,
    [`${dir(a)}0`]: 200_000,
    [dir(b)]: 0,
    [`${dir(b)}0`]: 200_000,
    [`${dir(b)}0.partial`]: 0,
  });
  expect(result.writeAfterDiscardPartial).toBe('InvalidStateError');
  expect(result.completeSize).toBe(200_000);
  expect(Object.keys(result.afterRemove).filter((path) => path.startsWith(dir(a)))).toEqual([]);
  expect(result.removedRead).toMatch(/^NotFoundError: .*no longer stored/);
});

test('sweep removes partial files nobody wrote for longer than the age given, and nothing else', async () => {
  const stale = transferId('stale');
  const live = transferId('live');
  await page.evaluate(async (stale) => {
    const h = opfsHarness;
    const request = { transferId: stale, name: 'f', size: 300_000, type: '', resume: false };
    const done = await h.store.open({ ...request, file: 0 });
    await h.writePattern(done, 1, 0, 1000, 1000);
    await done.finish();
    const partial = await h.store.open({ ...request, file: 1 });
    await h.writePattern(partial, 1, 0, 1000, 1000);
  }, stale);
  // The page that wrote the partial file is gone, as after a crash or a closed tab.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  const result = await page.evaluate(
    async ({ stale, live }) => {
      const h = opfsHarness;
      const open = await h.store.open({
        transferId: live,
        file: 0,
        name: 'f',
        size: 5000,
        type: '',
        resume: false,
      });
      await h.writePattern(open, 2, 0, 2000, 1000);
      await h.store.sweep(60 * 60 * 1000);
      const afterLongAge = await h.listOpfs();
      // The stale file was last written before the reload, so it is older than any age of 0 ms; the live
      // one is open, which keeps it whatever its age.
      await h.store.sweep(0);
      const afterShortAge = await h.listOpfs();
      // The file being written was left alone and can be finished.
      await h.writePattern(open, 2, 2000, 5000, 1000);
      const digest = h.hex(await open.finish());
      return {
        afterLongAge,
        afterShortAge,
        digest,
        staleComplete: (await h.store.getFile(stale, 0, 'f', '')).size,
      };
    },
    { stale, live },
  );
  expect(result.afterLongAge[`directdrop/incoming/${stale}/1.partial`]).toBe(0);
  expect(result.afterShortAge).toEqual({
    'directdrop/': 0,
    'directdrop/incoming/': 0,
    [`directdrop/incoming/${stale}/`]: 0,
    [`directdrop/incoming/${stale}/0`]: 1000,
    [`directdrop/incoming/${live}/`]: 0,
    [`directdrop/incoming/${live}/0`]: 2000,
    [`directdrop/incoming/${live}/0.partial`]: 0,
  });
  expect(result.digest).toBe(await nodeFileDigest(2, 5000));
  expect(result.staleComplete).toBe(1000);
});

test('a write past the storage quota rejects with a no-space error and the file ends at the last good byte', async () => {
  const id = transferId('quota');
  const origin = new URL(server.url).origin;
  const cdp = await context.newCDPSession(page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 8 * MiB });
  try {
    const result = await page.evaluate(
      async ({ id, chunk, limit }) => {
        const h = opfsHarness;
        const sink = await h.store.open({
          transferId: id,
          file: 0,
          name: 'big',
          size: limit,
          type: '',
          resume: false,
        });
        let failure: { isError: boolean; name: string; message: string } | undefined;
        try {
          await h.writePattern(sink, 5, 0, limit, chunk);
        } catch (error) {
          failure = {
            isError: error instanceof Error,
            name: (error as Error).name,
            message: (error as Error).message,
          };
        }
        const onDisk = (await h.listOpfs())[`directdrop/incoming/${id}/0`];
        return { failure, written: sink.written, onDisk };
      },
      { id, chunk: CHUNK, limit: 64 * MiB },
    );
    expect(result.failure).toBeDefined();
    expect(result.failure?.isError).toBe(true);
    expect(result.failure?.name).toBe('QuotaExceededError');
    expect(result.failure?.message).toMatch(NO_SPACE);
    expect(result.written).toBeLessThan(64 * MiB);
    expect(result.written % CHUNK).toBe(0);
    expect(result.onDisk).toBe(result.written);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    await cdp.detach();
  }

  const available = await page.evaluate(async () => {
    const estimate = await navigator.storage.estimate();
    return {
      available: await opfsHarness.store.available(),
      free: (estimate.quota ?? 0) - (estimate.usage ?? 0),
    };
  });
  expect(available.available).toBeGreaterThan(0);
  expect(Math.abs((available.available ?? 0) - available.free)).toBeLessThan(MiB);
});

test('a slow disk slows the writer: each write resolves only once its bytes are in the file', async () => {
  const id = transferId('slow');
  const delayMs = 150;
  const result = await page.evaluate(
    async ({ id, delayMs }) => {
      const h = opfsHarness;
      const store = h.slowStore(delayMs);
      const sink = await store.open({
        transferId: id,
        file: 0,
        name: 'f',
        size: 1_000_000,
        type: '',
        resume: false,
      });
      const clock = () => performance.timeOrigin + performance.now();
      const directory = await (
        await (await navigator.storage.getDirectory()).getDirectoryHandle('directdrop')
      )
        .getDirectoryHandle('incoming')
        .then((incoming) => incoming.getDirectoryHandle(id));
      const writes: { took: number; resolvedAt: number; written: number; sizeOnDisk: number }[] = [];
      for (let i = 0; i < 4; i++) {
        const startedAt = clock();
        await sink.write(h.framed(h.patternBytes(3, i * 65_536, 65_536)));
        const resolvedAt = clock();
        const sizeOnDisk = (await (await directory.getFileHandle('0')).getFile()).size;
        writes.push({ took: resolvedAt - startedAt, resolvedAt, written: sink.written, sizeOnDisk });
      }
      // Writes are awaited one at a time; a second one while the first is on its way is a caller bug.
      const first = sink.write(new Uint8Array(10));
      const overlapping = await sink.write(new Uint8Array(10)).then(
        () => 'written',
        (error: Error) => error.name,
      );
      await first;
      return { writes, overlapping, diskLog: [...h.diskLog] };
    },
    { id, delayMs },
  );
  expect(result.writes.map((w) => w.written)).toEqual([65_536, 131_072, 196_608, 262_144]);
  for (const write of result.writes) {
    expect(write.took).toBeGreaterThanOrEqual(delayMs * 0.9);
    expect(write.sizeOnDisk).toBe(write.written);
    // The worker saw the file reach this size before the page heard the write was done. The margin only
    // absorbs clock differences between the two contexts; a write resolved on posting would be a whole
    // disk delay early.
    const onDisk = result.diskLog.find((entry) => entry.end === write.written);
    expect(onDisk).toBeDefined();
    expect(onDisk?.at ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(write.resolvedAt + delayMs / 10);
  }
  expect(result.overlapping).toBe('InvalidStateError');
});

test("the sender's digest and blob source: streamed digest, exact ranges in and out of order, short reads", async () => {
  const size = 3 * MiB + 77;
  const result = await page.evaluate(async (size) => {
    const h = opfsHarness;
    const bytes = h.patternBytes(9, 0, size);
    const blob = new Blob([bytes]);
    const hasher = await h.createSenderDigest();
    // Uneven pieces, so the streaming state carries across update calls.
    for (let offset = 0, step = 1; offset < size; offset += step, step = Math.min(step * 3 + 1, 700_000)) {
      hasher.update(bytes.subarray(offset, Math.min(size, offset + step)));
    }
    const source = h.blobSource(blob, { name: 'a.bin', size, type: 'application/octet-stream' });
    const middle = await source.read(1_000_000, 262_144);
    // Reads that follow each other continue one stream; a jump back (a resume) starts another.
    const block = 1024 * 1024;
    const sequential: Uint8Array[] = [];
    for (let offset = 0; offset < size; offset += block) {
      sequential.push(await source.read(offset, Math.min(block, size - offset)));
    }
    const afterJump = await source.read(5, 1000);
    // Overlapping reads (a reconnect while the previous attempt still reads) each get their own bytes.
    const overlapping = await Promise.all([
      source.read(2 * block, 300_000),
      source.read(0, 300_000),
      source.read(2 * block + 300_000, 300_000),
      source.read(100, 200_000),
    ]);
    const overlapStarts = [2 * block, 0, 2 * block + 300_000, 100];
    const pastEnd = await source.read(size - 10, 20);
    const tail = await source.read(size - 10, 10);
    const changed = h.blobSource(blob, { name: 'a.bin', size: size + 1, type: '' });
    return {
      digest: h.hex(await hasher.digest()),
      described: { name: source.name, size: source.size, type: source.type },
      middleMatches: middle.length === 262_144 && middle.every((b, i) => b === bytes[1_000_000 + i]),
      sequentialMatches:
        sequential.reduce((sum, part) => sum + part.length, 0) === size &&
        sequential.every((part, i) => part.every((b, j) => b === bytes[i * block + j])),
      afterJumpMatches: afterJump.length === 1000 && afterJump.every((b, i) => b === bytes[5 + i]),
      overlappingMatch: overlapping.map(
        (part, k) =>
          part.length === (k === 3 ? 200_000 : 300_000) &&
          part.every((b, i) => b === bytes[(overlapStarts[k] ?? 0) + i]),
      ),
      pastEnd: pastEnd.length,
      tail: Array.from(tail),
      expectedTail: Array.from(bytes.subarray(size - 10)),
      changedRead: (await changed.read(0, 100)).length,
    };
  }, size);
  expect(result.digest).toBe(await nodeFileDigest(9, size));
  expect(result.described).toEqual({ name: 'a.bin', size, type: 'application/octet-stream' });
  expect(result.middleMatches).toBe(true);
  expect(result.sequentialMatches).toBe(true);
  expect(result.afterJumpMatches).toBe(true);
  expect(result.overlappingMatch).toEqual([true, true, true, true]);
  expect(result.pastEnd).toBe(0);
  expect(result.tail).toEqual(result.expectedTail);
  expect(result.changedRead).toBe(0);
});
