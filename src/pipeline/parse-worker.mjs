// Loads the parser thread through tsx, because a worker thread does not inherit the loader
// that runs the TypeScript sources on the main thread.
import { tsImport } from 'tsx/esm/api';

await tsImport('./parse-worker.ts', import.meta.url);
