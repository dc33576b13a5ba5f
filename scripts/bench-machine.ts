// What the benchmark measures about the two browsers from outside them, through /proc: the receiving
// browser's memory, the CPU each browser process used (BENCH_DEBUG), and whether both are idle before a
// contender starts. Every process of a browser is found by its profile directory on its command line.

import { readdirSync, readFileSync } from 'node:fs';

// ---- memory of the receiving browser: every process started with its profile directory ----

export function processesOf(profileDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(profileDir)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Sums VmRSS over the given processes. */
function rssOf(pids: readonly number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += Number(match?.[1] ?? 0);
    } catch {
      // The process ended while we looked.
    }
  }
  return kib / 1024;
}

export function rssMib(profileDir: string): number {
  return rssOf(processesOf(profileDir));
}

/**
 * Samples every 100 ms, but looks for the browser's processes (a walk over all of /proc) only once a
 * second: the sampling must not take CPU from the transfer it measures.
 */
export function sampleMemory(profileDir: string): { stop(): number } {
  let pids = processesOf(profileDir);
  let peak = rssOf(pids);
  let ticks = 0;
  const timer = setInterval(() => {
    if (++ticks % 10 === 0) pids = processesOf(profileDir);
    peak = Math.max(peak, rssOf(pids));
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMib(profileDir));
    },
  };
}

// ---- where the CPU goes (BENCH_DEBUG): CPU seconds per process kind of both browsers ----

function processKind(cmdline: string): string {
  const type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser';
  if (type === 'renderer')
    return cmdline.includes('--extension-process') ? 'renderer(extension)' : 'renderer';
  if (type === 'utility') return `utility(${/--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1] ?? '?'})`;
  return type;
}

export function cpuTicks(profileDir: string): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of processesOf(profileDir)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const used = Number(fields[11]) + Number(fields[12]);
      const key = `${processKind(cmdline)}#${pid}`;
      ticks.set(key, used);
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks;
}

export function cpuReport(label: string, before: Map<string, number>, after: Map<string, number>): string {
  const parts: string[] = [];
  for (const [key, used] of after) {
    const seconds = (used - (before.get(key) ?? 0)) / 100;
    if (seconds >= 0.05) parts.push(`${key} ${seconds.toFixed(1)}s`);
  }
  return `${label}: ${parts.join(', ')}`;
}

/**
 * Waits (up to 10 s) until both browsers are nearly idle, so that each contender starts on a quiet machine
 * and not while the previous one's clean-up (garbage collection, deleting a received file) still runs.
 */
export async function quiet(profileDirs: readonly string[]): Promise<void> {
  const total = () =>
    profileDirs.reduce((sum, dir) => sum + [...cpuTicks(dir).values()].reduce((a, b) => a + b, 0), 0);
  for (let tries = 0; tries < 20; tries++) {
    const before = total();
    await new Promise((r) => setTimeout(r, 500));
    // Ticks are 10 ms: under 5 ticks in 500 ms is under a tenth of one core.
    if (total() - before < 5) return;
  }
}
