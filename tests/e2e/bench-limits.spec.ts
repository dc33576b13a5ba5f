// The benchmark cannot hang: `npm run bench` with one contender forced to stall (its receiving page's
// JavaScript paused, as a hung tab) must exit non-zero within that step's limit, naming the step. Small sizes and a 5 s step limit keep each run to a few tens of seconds.

import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';

const STEP_LIMIT_S = 5;
/** After the limit: reading the stalled run's rows for the message, then closing both browsers. */
const WIND_DOWN_MS = 15_000;

interface BenchRun {
  code: number | null;
  stderr: string;
  /** From the moment the stall was forced to the process's exit. */
  stalledForMs: number;
}

function runBench(args: string[]): Promise<BenchRun> {
  return new Promise((resolve) => {
    // Node itself with tsx's loader, not the tsx wrapper, so that the process killed below is the bench.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let stalledAt: number | undefined;
    child.stderr.on('data', (data: Buffer) => {
      stderr += String(data);
      if (stalledAt === undefined && stderr.includes('bench: forced stall:')) stalledAt = Date.now();
    });
    // A bench that hangs is this test's failure, not a stuck test run. SIGTERM lets Playwright, inside
    // the bench, close the browsers it launched.
    const kill = setTimeout(() => child.kill('SIGTERM'), 100_000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, stderr, stalledForMs: stalledAt === undefined ? Number.NaN : Date.now() - stalledAt });
    });
  });
}

const stallArgs = (contender: string) => [
  '--size-mib',
  '4',
  '--runs',
  '1',
  '--warmup-mib',
  '0',
  '--only',
  contender,
  '--stall',
  contender,
  '--step-limit-s',
  String(STEP_LIMIT_S),
];

test.describe.configure({ mode: 'serial' });

test('a stalled DirectDrop transfer fails the benchmark within its limit, naming the step', async () => {
  test.setTimeout(120_000);
  const run = await runBench(stallArgs('directdrop'));
  expect(run.stderr).toContain(
    `bench: stalled: "directdrop run 1/1: waiting for the phone to start receiving" did not finish within ${STEP_LIMIT_S} s`,
  );
  expect(run.code).toBe(2);
  expect(run.stalledForMs).toBeGreaterThanOrEqual(STEP_LIMIT_S * 1000);
  expect(run.stalledForMs).toBeLessThan(STEP_LIMIT_S * 1000 + WIND_DOWN_MS);
});

test('a stalled plain-channel contender fails the benchmark within its limit, naming the step', async () => {
  test.setTimeout(120_000);
  const run = await runBench(stallArgs('plain-64k'));
  // The sender may hand all 4 MiB to the network before the paused receiver is noticed, so the step
  // that stalls is the sender's or the receiver's, and the message must say which.
  expect(run.stderr).toMatch(
    /bench: stalled: "plain-64k run 1\/1: (sending 4194304 bytes|receiving the last bytes)" did not finish within \d+ s/,
  );
  expect(run.code).toBe(2);
  // The sending step's limit also allows 4 MiB at the 2 MB/s floor.
  const sendingLimitMs = STEP_LIMIT_S * 1000 + 4194304 / 2e3;
  expect(run.stalledForMs).toBeLessThan(sendingLimitMs + WIND_DOWN_MS);
});
