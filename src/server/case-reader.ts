import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { inTransaction } from '../store/transaction.ts';

/** A row as DuckDB's `getRowObjectsJS` returns it. */
export type Row = Record<string, unknown>;

/**
 * The server's own connection to the case database. Statements run one after another, since a
 * DuckDB connection is not meant for overlapping queries; every value is a bound parameter.
 */
export class CaseReader {
  readonly #connection: DuckDBConnection;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(connection: DuckDBConnection) {
    this.#connection = connection;
  }

  /** Runs a statement and returns all its rows. */
  all(sql: string, params: Record<string, DuckDBValue> = {}): Promise<Row[]> {
    return this.#serial(async () => {
      const reader = await this.#connection.runAndReadAll(sql, params);
      return reader.getRowObjectsJS() as Row[];
    });
  }

  /** Runs several statements in one transaction. */
  transaction(statements: { sql: string; params: Record<string, DuckDBValue> }[]): Promise<void> {
    return this.#serial(() =>
      inTransaction(this.#connection, async () => {
        for (const { sql, params } of statements) await this.#connection.run(sql, params);
      }),
    );
  }

  /** Closes the connection once the statements already queued are done. */
  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
    this.#connection.closeSync();
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
