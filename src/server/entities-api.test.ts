import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { CaseReader } from './case-reader.ts';
import { EventEntityGraph } from './entities-api.ts';

async function readerWith(statements: string[]): Promise<CaseReader> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  await connection.run(
    'CREATE TABLE events (actor_uid VARCHAR, actor_access_key VARCHAR, src_ip VARCHAR, resources JSON)',
  );
  for (const sql of statements) await connection.run(sql);
  return new CaseReader(connection);
}

describe('the entity graph', () => {
  const events = `INSERT INTO events VALUES
    ('alice', 'AKIAALICE', '203.0.113.5', '[]'),
    ('role/admin', 'ASIASESSION', '198.51.100.7', '[{"uid":"bucket-1","type":"bucket"}]')`;

  it('links identities to the keys, addresses and resources they used', async () => {
    const graph = await EventEntityGraph.graph(await readerWith([events]), 100);

    expect(graph.edges.map((edge) => `${edge.source} ${edge.target}`).sort()).toEqual([
      'identity:alice access_key:AKIAALICE',
      'identity:alice ip:203.0.113.5',
      'identity:role/admin access_key:ASIASESSION',
      'identity:role/admin ip:198.51.100.7',
      'identity:role/admin resource:bucket-1',
    ]);
  });

  it('links a key to the session keys that calls signed with it created', async () => {
    const credentials = `CREATE TABLE credentials AS
      SELECT 'ASIASESSION' AS access_key, 'AKIAALICE' AS origin_key, 3 AS events`;
    const graph = await EventEntityGraph.graph(await readerWith([events, credentials]), 100);

    expect(graph.edges).toContainEqual({
      source: 'access_key:AKIAALICE',
      target: 'access_key:ASIASESSION',
      events: 3,
    });
  });
});
