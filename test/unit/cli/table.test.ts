import t from 'tap'
import { table } from '../../../src/cli/table.js'

t.test('columns are padded to their widest cell, two spaces apart, with no trailing blanks', async (t) => {
  t.plan(1)
  t.equal(table(['NAME', 'ON'], [['feature_1', 'yes'], ['f', 'no']]), 'NAME       ON\nfeature_1  yes\nf          no\n')
})

t.test('a table with no rows is its header', async (t) => {
  t.plan(1)
  t.equal(table(['FEATURE'], []), 'FEATURE\n')
})
