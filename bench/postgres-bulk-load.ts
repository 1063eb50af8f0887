/**
 * Bulk loading into PostgreSQL: a table's indexes and constraints dropped before a large insert and
 * recreated after it, from their own definitions, so the bench does not restate the schema. One
 * index build sorts the rows once; a million row-by-row index insertions and foreign key checks take
 * several times longer.
 */
import type pg from 'pg';

/** Runs `load` (inside the caller's transaction) with the table's indexes and constraints removed. */
export async function rebuildPostgresIndexesAround(
  client: pg.ClientBase,
  table: string,
  load: () => Promise<void>,
): Promise<void> {
  const constraints = await client.query<{ name: string; definition: string; type: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition, contype AS type
     FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f')`,
    [table],
  );
  const indexes = await client.query<{ name: string; definition: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = $1::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.conrelid = x.indrelid)`,
    [table],
  );
  for (const index of indexes.rows) await client.query(`DROP INDEX "${index.name}"`);
  for (const constraint of constraints.rows) {
    await client.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint.name}"`);
  }
  await load();
  await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
  // Keys first: foreign keys of other tables may reference them.
  const ordered = [...constraints.rows].sort((a, b) => Number(a.type === 'f') - Number(b.type === 'f'));
  for (const constraint of ordered) {
    await client.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${constraint.name}" ${constraint.definition}`);
  }
  for (const index of indexes.rows) await client.query(index.definition);
}
