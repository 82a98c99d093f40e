import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileType, inputError, notRegularFile } from './input-errors.ts';
import type { AcquireError } from './types.ts';

/**
 * A file found among the inputs, or a path that could not be walked. `resolvedPath` is the real
 * path of a file reached through a symlink, and the path the bytes are read from.
 */
export type InputFile = { kind: 'file'; path: string; resolvedPath?: string } | AcquireError;

/**
 * Lists the regular files under the given paths: each path in the given order, folder contents
 * recursively in code-unit order of their names. A path named on the command line is followed
 * if it is a symlink. Inside a folder, symlinks to folders are not followed, and symlinks to
 * files only when the file's real path lies inside the folder named on the command line, so a
 * walk cannot loop or leave the tree. `exclude` (the case folder) is skipped wherever it appears.
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
    if (stats.isDirectory()) {
      if (absolute !== excluded) yield* walkRoot(absolute, excluded);
      continue;
    }
    yield stats.isFile() ? await fileEntry(absolute) : notRegularFile(absolute, fileType(stats));
  }
}

async function* walkRoot(folder: string, excluded: string): AsyncIterable<InputFile> {
  let root: string;
  try {
    root = await fs.realpath(folder);
  } catch (error) {
    yield inputError(folder, error);
    return;
  }
  yield* walkFolder(folder, excluded, { given: folder, real: root });
}

/** The folder named on the command line, as given and as its real path. */
interface WalkRoot {
  given: string;
  real: string;
}

async function* classify(
  file: string,
  stats: Stats,
  excluded: string,
  root: WalkRoot,
): AsyncIterable<InputFile> {
  if (stats.isDirectory()) {
    if (file !== excluded) yield* walkFolder(file, excluded, root);
    return;
  }
  if (stats.isFile()) {
    yield { kind: 'file', path: file };
    return;
  }
  yield notRegularFile(file, fileType(stats));
}

// A path given on the command line may itself be a symlink: it is followed, and its target kept.
async function fileEntry(file: string): Promise<InputFile> {
  try {
    const link = await fs.lstat(file);
    if (!link.isSymbolicLink()) return { kind: 'file', path: file };
    return { kind: 'file', path: file, resolvedPath: await fs.realpath(file) };
  } catch (error) {
    return inputError(file, error);
  }
}

async function* walkFolder(
  folder: string,
  excluded: string,
  root: WalkRoot,
): AsyncIterable<InputFile> {
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
      if (stats.isSymbolicLink()) yield* followLink(child, root);
      else yield* classify(child, stats, excluded, root);
    } catch (error) {
      // The entry vanished between readdir and lstat.
      yield inputError(child, error);
    }
  }
}

async function* followLink(link: string, root: WalkRoot): AsyncIterable<InputFile> {
  let target: Stats;
  let real: string;
  try {
    target = await fs.stat(link);
    real = await fs.realpath(link);
  } catch (error) {
    yield inputError(link, error);
    return;
  }

  if (target.isFile()) {
    yield isInside(real, root.real)
      ? { kind: 'file', path: link, resolvedPath: real }
      : {
          kind: 'error',
          path: link,
          code: 'symlink_outside_input',
          reason:
            `${link} is a symlink to ${real}, outside ${root.given}, and was not followed; ` +
            'give the target path to acquire it.',
        };
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

function isInside(file: string, folder: string): boolean {
  const relative = path.relative(folder, file);
  return (
    relative !== '' &&
    !relative.startsWith(`..${path.sep}`) &&
    relative !== '..' &&
    !path.isAbsolute(relative)
  );
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
