// Leveled logger for the server. Callers pass fixed messages and counts only: signalling traffic carries
// peer ids, tokens and device names, none of which may reach a log.

import type { LogLevel } from './config';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(
  level: LogLevel,
  sink: (level: Exclude<LogLevel, 'silent'>, line: string) => void = writeToConsole,
): Logger {
  const at =
    (messageLevel: Exclude<LogLevel, 'silent'>) =>
    (message: string): void => {
      if (RANK[messageLevel] >= RANK[level]) sink(messageLevel, message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function writeToConsole(level: Exclude<LogLevel, 'silent'>, line: string): void {
  const stamped = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${line}`;
  if (level === 'error' || level === 'warn') console.error(stamped);
  else console.log(stamped);
}
