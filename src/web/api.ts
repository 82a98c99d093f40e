/// <reference lib="dom" />
/** Requests to the workbench server; the token cookie goes with each one. */

/** An error answer of the server, with its code and message. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function parse<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as {
    error?: { code: string; message: string };
  };
  if (!response.ok) {
    const error = body.error ?? {
      code: 'http_error',
      message: `request failed (${response.status})`,
    };
    throw new ApiError(response.status, error.code, error.message);
  }
  return body as T;
}

/** GETs a JSON resource with query parameters; empty parameters are left out. */
export async function getJson<T>(path: string, params: Record<string, string | number> = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return parse<T>(
    await fetch(text === '' ? path : `${path}?${text}`, { credentials: 'same-origin' }),
  );
}

/** POSTs a JSON body. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return parse<T>(response);
}
