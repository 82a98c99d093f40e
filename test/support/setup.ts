import { afterAll } from 'vitest';
import { removeTempDirs } from './cli.ts';

afterAll(removeTempDirs);
