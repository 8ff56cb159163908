// Service log files: tail for error reports, rotation on each start.
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  appendFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_TAIL_LINES = 40;

/** The last `lines` lines of a file ('' when it does not exist). Reads at most `maxBytes` from the end. */
export function tailFile(path: string, lines: number = DEFAULT_TAIL_LINES, maxBytes = 256 * 1024): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    let text = buffer.toString('utf8');
    if (length < size) text = text.slice(text.indexOf('\n') + 1); // drop the partial first line
    const all = text.replace(/\n+$/, '').split('\n');
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

/** Keep the previous run's log as `<file>.1` so a fresh start's log only holds this run. */
export function rotateLog(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) renameSync(path, `${path}.1`);
}

/** Append a line to a service log (our own notes between the service's lines). */
export function appendLogLine(path: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `[saldo platform ${new Date().toISOString()}] ${line}\n`);
}
