import t from 'tap'
import { workerExecArgv } from '../../../src/process/primary.js'

t.test('workers get the semi-space flag after the primary\'s own flags', async (t) => {
  t.same(workerExecArgv([], 2), ['--max-semi-space-size=2'])
  t.same(workerExecArgv(['--enable-source-maps'], 4), ['--enable-source-maps', '--max-semi-space-size=4'])
})

t.test('0 adds nothing: V8 (or NODE_OPTIONS) decides', async (t) => {
  t.same(workerExecArgv(['--enable-source-maps'], 0), ['--enable-source-maps'])
})

t.test('a semi-space flag the primary was started with wins over the setting', async (t) => {
  for (const flag of ['--max-semi-space-size=16', '--max_semi_space_size=16']) {
    t.same(workerExecArgv([flag], 2), [flag], flag)
  }
})
