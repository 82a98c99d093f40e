import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileType, inputError, notRegularFile } from './input-errors.ts';
import type { AcquireError } from './types.ts';

/** A file found among the inputs, or a path that could not be walked. */
export type InputFile = { kind: 'file'; path: string } | AcquireError;

/**
 * Lists the regular files under the given paths: each path in the given order, folder contents
 * recursively in code-unit order of their names. A path named on the command line is followed
 * if it is a symlink, but symlinks to folders met inside a folder are not, so a walk cannot
 * loop or leave the tree. `exclude` (the case folder) is skipped wherever it appears.
 */
export async function* walkInputs(paths: string[], exclude: string): AsyncIterable<InputFile> {
  const excluded = path.resolve(exclude);

  for (const input of paths) {
    const absolute = path.resolve(input);
    let stats: Stats;
    try {
      stats = await fs.stat(absolute);
    } catch (error) {
      yield inputError(absolute, error);
      continue;
    }
    yield* classify(absolute, stats, excluded);
  }
}

async function* classify(file: string, stats: Stats, excluded: string): AsyncIterable<InputFile> {
  if (stats.isDirectory()) {
    if (file !== excluded) yield* walkFolder(file, excluded);
    return;
  }
  if (stats.isFile()) {
    yield { kind: 'file', path: file };
    return;
  }
  yield notRegularFile(file, fileType(stats));
}

async function* walkFolder(folder: string, excluded: string): AsyncIterable<InputFile> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch (error) {
    yield inputError(folder, error);
    return;
  }
  names.sort(compareCodeUnits);

  for (const name of names) {
    const child = path.join(folder, name);
    try {
      const stats = await fs.lstat(child);
      if (stats.isSymbolicLink()) yield* followLink(child);
      else yield* classify(child, stats, excluded);
    } catch (error) {
      // The entry vanished between readdir and lstat.
      yield inputError(child, error);
    }
  }
}

async function* followLink(link: string): AsyncIterable<InputFile> {
  let target: Stats;
  try {
    target = await fs.stat(link);
  } catch (error) {
    yield inputError(link, error);
    return;
  }

  if (target.isFile()) {
    yield { kind: 'file', path: link };
    return;
  }
  if (target.isDirectory()) {
    yield {
      kind: 'error',
      path: link,
      code: 'symlinked_directory',
      reason: `${link} is a symlink to a folder and was not followed; name the target to acquire it.`,
    };
    return;
  }
  yield notRegularFile(link, fileType(target));
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
