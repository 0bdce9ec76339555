/** Files of one JSON value per line: the streams the worker processes read, and what they deliver. */
import { readFileSync, writeFileSync } from 'node:fs';

export function writeJsonLines(path: string, values: readonly unknown[]): void {
  writeFileSync(path, values.map((value) => `${JSON.stringify(value)}\n`).join(''));
}

export function readJsonLines<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}
