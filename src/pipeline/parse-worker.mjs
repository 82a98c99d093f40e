// Loads the parser thread's TypeScript through tsx, so the worker does not depend on the loader
// of the main thread reaching worker threads.
import { tsImport } from 'tsx/esm/api';

await tsImport('./parse-worker.ts', import.meta.url);
