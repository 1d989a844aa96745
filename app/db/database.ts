import pg from "pg";

import { AppError } from "../errors/app-error.ts";

export type Row = Record<string, unknown>;

export interface QueryResult<R extends Row> {
  rows: R[];
  rowCount: number;
}

/** Anything that runs SQL: the pool, or one transaction's client. */
export interface Queryable {
  query<R extends Row = Row>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>>;
}

export interface Database extends Queryable {
  /** Runs `work` in one transaction; commits when it resolves. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The one place the `pg` driver is used. */
export function connectDatabase(url: string, max = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client's connection dropping (say, a restarted server) must not
  // take the process down; the next query reconnects or fails on its own.
  pool.on("error", () => undefined);

  const query = async <R extends Row>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> => {
    const result = await client.query<R>(sql, params as unknown[]);
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  };

  return {
    query: (sql, params) => query(pool, sql, params),

    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await work({
          query: (sql, params) => query(client, sql, params),
        });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },

    close: () => pool.end(),
  };
}

/** Fails fast with a clear message when the server cannot be reached. */
export async function checkConnection(db: Database): Promise<void> {
  try {
    await db.query("SELECT 1");
  } catch (err) {
    throw new AppError(
      "DATABASE_UNREACHABLE",
      "Could not run a query against the configured Postgres.",
      { cause: err },
    );
  }
}
