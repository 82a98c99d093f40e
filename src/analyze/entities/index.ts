/** Entities of a case and the credentials that created each access key. */
import type { CaseDb } from '../../store/case-db.ts';
import { type EntityCounts, extractEntities } from './extract.ts';

export { type EntityCounts, entitiesAreCurrent, extractEntities } from './extract.ts';
export { type EntityFilter, type EntityRow, listEntities } from './list.ts';
export { ENTITY_SCHEMA } from './schema.ts';

/** Extracts the entities of every event of the case on a connection of its own. */
export async function extractCaseEntities(db: CaseDb): Promise<EntityCounts> {
  const connection = await db.connect();
  try {
    return await extractEntities(connection);
  } finally {
    connection.closeSync();
  }
}
