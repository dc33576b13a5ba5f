// Micro-benchmark of the receiver's disk path: in headless Chromium, writes 256 MiB through the OPFS store
// (storage worker, sync access handle, streaming SHA-256) in 256 KiB chunks and prints MB/s and the peak
// memory seen while it ran: the page's JS heap (CDP), page + worker (measureUserAgentSpecificMemory, in a
// cross-origin isolated page) and the renderer process's resident size. Also what hashing alone costs and
// what handing one chunk to a worker costs. The store must stay well above a ~20 MB/s data channel.
//
//   npx tsx scripts/bench-opfs.ts [MiB]

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { startOpfsHarness } from '../tests/e2e/fixtures/opfs-harness/harness-server';
import type { OpfsHarness } from '../tests/e2e/fixtures/opfs-harness/main';
import { CHROMIUM_PATH, newProfileDir } from '../tests/e2e/support/browsers';

declare global {
  var opfsHarness: OpfsHarness;
}

const MiB = 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;
const TOTAL_BYTES = Number(process.argv[2] ?? 256) * MiB;
const SAMPLE_EVERY_MS = 100;
const TARGET_MB_PER_S = 25;

const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const rate = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);

/** Resident memory of the renderer processes of the browser that uses `profileDir`, in bytes. */
function rendererRss(profileDir: string): number {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      commands.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      // The process ended while we looked.
    }
  }
  const browser = [...commands].find(([, command]) => command.includes(`--user-data-dir=${profileDir}`))?.[0];
  const descendsFromBrowser = (pid: number): boolean => {
    for (let current = parents.get(pid); current; current = parents.get(current)) {
      if (current === browser) return true;
    }
    return false;
  };
  let total = 0;
  for (const [pid, command] of commands) {
    if (!command.includes('--type=renderer') || !descendsFromBrowser(pid)) continue;
    try {
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      total += Number(rss ?? 0) * 1024;
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

async function main(): Promise<void> {
  const server = await startOpfsHarness({ crossOriginIsolated: true });
  const profileDir = newProfileDir('opfs-bench');
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Answer measureUserAgentSpecificMemory() at once instead of at the next garbage collection.
      '--enable-blink-features=ForceEagerMeasureMemory',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    const canMeasureAll = await page.evaluate(
      () => crossOriginIsolated && 'measureUserAgentSpecificMemory' in performance,
    );
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');

    const heapUsed = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((metric) => metric.name === 'JSHeapUsedSize')?.value ?? 0;
    };
    const pageAndWorkers = () =>
      page.evaluate(async () => {
        const measure = (
          performance as unknown as { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> }
        ).measureUserAgentSpecificMemory;
        return (await measure.call(performance)).bytes;
      });

    // Starts the storage worker and its WASM first, so the figures below are what writing costs.
    await page.evaluate((chunk) => opfsHarness.benchmarkStore(4 * chunk, chunk), CHUNK_BYTES);
    const baseline = {
      heap: await heapUsed(),
      all: canMeasureAll ? await pageAndWorkers() : 0,
      rss: rendererRss(profileDir),
    };
    const peak = { ...baseline };
    let running = true;
    const sampler = (async () => {
      while (running) {
        peak.heap = Math.max(peak.heap, await heapUsed());
        peak.rss = Math.max(peak.rss, rendererRss(profileDir));
        if (canMeasureAll) peak.all = Math.max(peak.all, await pageAndWorkers().catch(() => 0));
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      }
    })();
    const run = await page.evaluate(({ total, chunk }) => opfsHarness.benchmarkStore(total, chunk), {
      total: TOTAL_BYTES,
      chunk: CHUNK_BYTES,
    });
    running = false;
    await sampler;

    const hashing = await page.evaluate(({ total, chunk }) => opfsHarness.benchmarkHasher(total, chunk), {
      total: TOTAL_BYTES,
      chunk: CHUNK_BYTES,
    });
    const posting = await page.evaluate((chunk) => opfsHarness.benchmarkPosting(chunk, 256), CHUNK_BYTES);

    const storeRate = rate(TOTAL_BYTES, run.ms);
    console.log(`OPFS store, ${mb(TOTAL_BYTES)} in ${CHUNK_BYTES / 1024} KiB chunks, hashing on:`);
    console.log(
      `  ${storeRate} MB/s (${(run.ms / 1000).toFixed(2)} s, finish included), sha256 ${run.digest}`,
    );
    console.log(
      `  ${Number(storeRate) >= TARGET_MB_PER_S ? 'OK' : 'TOO SLOW'}: target > ${TARGET_MB_PER_S} MB/s`,
    );
    console.log('Peak memory while writing (worker already started -> peak):');
    console.log(`  page JS heap (CDP JSHeapUsedSize):     ${mb(baseline.heap)} -> ${mb(peak.heap)}`);
    if (canMeasureAll) {
      console.log(`  page + worker (measureUserAgentSpecificMemory): ${mb(baseline.all)} -> ${mb(peak.all)}`);
    }
    console.log(`  renderer process RSS:                  ${mb(baseline.rss)} -> ${mb(peak.rss)}`);
    console.log(`Sender's WASM SHA-256 alone: ${rate(TOTAL_BYTES, hashing.ms)} MB/s over ${mb(TOTAL_BYTES)}`);
    console.log(`Handing one ${CHUNK_BYTES / 1024} KiB chunk to a worker (round trip, mean of 256):`);
    console.log(
      `  copy into one reused buffer, sent and returned (the store): ${posting.reusedBufferUs.toFixed(0)} µs`,
    );
    console.log(
      `  copy into a fresh buffer, transferred:                      ${posting.freshCopyUs.toFixed(0)} µs`,
    );
    console.log(
      `  transfer the whole frame, no copy (detaches the caller's):  ${posting.transferWholeFrameUs.toFixed(0)} µs`,
    );
    console.log(
      `  post the view untransferred (whole frame cloned):           ${posting.cloneUs.toFixed(0)} µs`,
    );
    console.log(
      `  empty message:                                              ${posting.emptyUs.toFixed(0)} µs`,
    );
  } finally {
    await context.close();
    await server.close();
    rmSync(profileDir, { recursive: true, force: true });
  }
}

await main();
