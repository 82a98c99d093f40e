/**
 * A full garbage collection on request. V8 sizes the heap by how fast a program allocates, so
 * after a long ingest the main thread has far more heap than it uses, and keeps it through
 * the steps after ingest, which need memory of their own (DuckDB's). Collecting once when the
 * ingest ends lets V8 return the empty pages to the system.
 *
 * Setting V8's flag at run time exposes `gc` only to contexts created after that, so the
 * function is taken from a new context.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | null = null;

/** Runs a full garbage collection of this thread's heap. */
export function collectGarbage(): void {
  if (collect === null) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
}
