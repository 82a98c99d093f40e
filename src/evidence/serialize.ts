import path from 'node:path';

const tails = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier task queued under the same file, so appends from one process
 * never interleave or compute a sequence number from a stale tail. Other processes are not
 * covered: one process owns a case at a time.
 */
export function serialize<T>(file: string, task: () => Promise<T>): Promise<T> {
  const key = path.resolve(file);
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, settled);
  // Drop the entry once the queue drains so the map does not grow with every case opened.
  void settled.then(() => {
    if (tails.get(key) === settled) tails.delete(key);
  });

  return run;
}
