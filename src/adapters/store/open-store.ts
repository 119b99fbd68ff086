import { join } from 'node:path';
import type { Store } from '../../deploy/ports/index.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';

export interface OpenStoreOptions {
  /** A postgres:// URL: the shared store several instances can use. */
  readonly databaseUrl?: string;
  /** Where the embedded SQLite database lives when there is no databaseUrl. */
  readonly dataDir: string;
}

/** The SQLite file the embedded store uses inside the data directory. */
export const SQLITE_FILE_NAME = 'liftoff.db';

/**
 * Opens the store the configuration asks for: PostgreSQL when a database URL is set (several
 * instances), else SQLite at `<dataDir>/liftoff.db` (one instance). Either is migrated on open.
 */
export function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl !== undefined) {
    return openPostgresStore({ connectionString: options.databaseUrl });
  }
  return openSqliteStore({ file: join(options.dataDir, SQLITE_FILE_NAME) });
}
