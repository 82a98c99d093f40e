import { ApiError } from './api.ts';

/** The text of an error for the page. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} [${error.code}]`;
  return error instanceof Error ? error.message : String(error);
}
