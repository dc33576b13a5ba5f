// DIRECTDROP_TEST_LOAD=1 keeps one core busy for the whole test run, so the suites show they hold on a
// loaded machine (a CI host shared with other jobs, a laptop compiling meanwhile). The load is a child
// process spinning on the CPU; it stops when the run ends and, should the run die first, by itself after
// DIRECTDROP_TEST_LOAD_MINUTES (default 90).

import { spawn } from 'node:child_process';

const SPIN = `
const until = Date.now() + Number(process.argv[1]) * 60_000;
while (Date.now() < until) for (let i = 0; i < 1e6; i++);
`;

/** A global set-up for Vitest and Playwright: starts the load when asked to, returns its teardown. */
export default function startCpuLoad(): () => void {
  if (process.env.DIRECTDROP_TEST_LOAD !== '1') return () => {};
  const minutes = Number(process.env.DIRECTDROP_TEST_LOAD_MINUTES ?? 90);
  if (!Number.isFinite(minutes) || minutes <= 0) {
    throw new Error('DIRECTDROP_TEST_LOAD_MINUTES must be a positive number of minutes.');
  }
  const child = spawn(process.execPath, ['-e', SPIN, String(minutes)], { stdio: 'ignore' });
  child.unref();
  process.stdout.write(`DIRECTDROP_TEST_LOAD=1: one core kept busy (pid ${child.pid}) for this run\n`);
  return () => {
    child.kill('SIGKILL');
  };
}
