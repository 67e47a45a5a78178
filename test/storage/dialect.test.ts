/**
 * The SQL dialects' own rules, without a database: placeholders numbered in text order with
 * their values beside them, and the misuse a read-back dialect could not answer correctly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mariadbDialect } from '../../storage/mariadb/dialect.js';
import { postgresDialect } from '../../storage/postgres/dialect.js';
import { Params, updateStatements, type RowUpdate } from '../../storage/sql/dialect.js';

const update: RowUpdate = {
  table: 'things',
  columns: ['id', 'state', 'version'],
  set: [['state', 'Active'], ['note', null]],
  bumpVersion: true,
  key: [['tenant_id', 't1'], ['id', 'x']],
  expectedVersion: 4,
};

describe('SQL dialects', () => {
  it('number placeholders in the order the text is written, values beside them', () => {
    const p = new Params(postgresDialect);
    assert.equal(`${p.equal([['a', 1], ['b', 'two']])} LIMIT ${p.add(10)}`, 'a = $1 AND b = $2 LIMIT $3');
    assert.deepEqual(p.values, [1, 'two', 10]);
    const m = new Params(mariadbDialect);
    assert.equal(`${m.equal([['a', 1]])} OFFSET ${m.add(0)}`, 'a = ? OFFSET ?');
    assert.deepEqual(m.values, [1, 0]);
  });

  it('write an UPDATE whose SET values come before its key and version, and a read-back by key alone', () => {
    assert.deepEqual(updateStatements(postgresDialect, update), {
      update: 'UPDATE things SET state = $1, note = $2, version = version + 1 WHERE tenant_id = $3 AND id = $4 AND version = $5',
      updateParams: ['Active', null, 't1', 'x', 4],
      reread: 'SELECT id, state, version FROM things WHERE tenant_id = $1 AND id = $2',
      rereadParams: ['t1', 'x'],
    });
    const maria = updateStatements(mariadbDialect, update);
    assert.equal(maria.update, 'UPDATE things SET state = ?, note = ?, version = version + 1 WHERE tenant_id = ? AND id = ? AND version = ?');
    assert.deepEqual(maria.updateParams, ['Active', null, 't1', 'x', 4]);
  });

  it('refuse a compare-and-set without a version bump: a read-back could not tell its miss', () => {
    for (const d of [postgresDialect, mariadbDialect]) {
      assert.throws(() => updateStatements(d, { ...update, bumpVersion: false }), {
        name: 'TypeError',
        message: 'updateRow on things: expectedVersion needs bumpVersion',
      });
    }
  });
});
