// The Store benchmark workload for @tldraw/store (Node side of `python -m bench.store`).
//
// The same records, operations, order and checks as bench/store_cases.py; keep the two in step.
//
//   node bench/node/store.mjs                          # human-readable, N = 10,000 and 100,000
//   node bench/node/store.mjs --json --size N [opts]   # one JSON object on stdout
//   node --expose-gc bench/node/store.mjs --json --memory N
//
// Options: --size N   --trials N   --warmup-trials N   --warmup-runs N   --warmup-size N
//          --memory N (needs --expose-gc; measures memory instead of time)
//
// A trial starts from a fresh store and times putAll (n new records, one put), putEach (one
// put([record]) per record, x + 1), updateEach (store.update(id, fn) per record, y + 1), the two
// loops again with one listener attached, and removeAll (one remove of every id). Before the
// trials: `warmup-runs` untimed trials of `warmup-size` records (so the JIT has settled), then
// `warmup-trials` untimed trials of n records. No GC is forced before timed operations (the
// Python side runs gc.collect()): forcing one with `node --expose-gc` made every operation here
// 2-5x slower (putAll at N=10,000: 16 ms -> 61 ms). The cause is not pinned down (a larger young
// generation, --min-semi-space-size=16, did not remove it); signals.mjs saw the same.
//
// Flushing to listeners. @tldraw/store's history reactor is scheduled with throttleToNextFrame:
// in a browser it delivers at most once per frame, and under plain node it throws in listen(),
// because requestAnimationFrame does not exist. tlsync's Store runs the same reactor synchronously
// when each transaction ends. To compare like with like, makeHistoryFlushSynchronous() removes the
// reactor's scheduleEffect, so EffectScheduler executes it right away: at the end of each put /
// update transaction the reactor derefs `history` and calls store._flushHistory(), exactly as ours
// does, and the listener is called once per operation (the checks prove it).
//
// The records are not frozen: devFreeze only runs when NODE_ENV is development or test, and the
// Python runner sets NODE_ENV=production. The report says whether records came out frozen.

import { performance } from 'node:perf_hooks'
import { Store, StoreSchema, createRecordType } from '@tldraw/store'
import { errorText, median, parseOptions, reportHead, writeReport } from './common.mjs'

const OPS = ['putAll', 'putEach', 'updateEach', 'putEachListen', 'updateEachListen', 'removeAll']

const Item = createRecordType('item', { scope: 'document', validator: { validate: (r) => r } })
const schema = StoreSchema.create({ item: Item })

class StoreCaseFailed extends Error {}

function makeRecord(i) {
	return { id: `item:${i}`, typeName: 'item', x: i, y: i, props: { w: 100, h: 50, color: 'black' } }
}

function makeRecords(n) {
	const records = new Array(n)
	for (let i = 0; i < n; i++) records[i] = makeRecord(i)
	return records
}

function expectEqual(what, actual, expected) {
	const a = JSON.stringify(actual)
	const e = JSON.stringify(expected)
	if (a !== e) throw new StoreCaseFailed(`${what}: expected ${e}, got ${a}`)
}

function newStore() {
	const store = new Store({ schema, props: {} })
	makeHistoryFlushSynchronous(store)
	return store
}

function makeHistoryFlushSynchronous(store) {
	const scheduler = store.historyReactor?.scheduler
	if (!scheduler || !('_scheduleEffect' in scheduler)) {
		throw new Error('@tldraw/store internals changed: no historyReactor.scheduler._scheduleEffect')
	}
	scheduler._scheduleEffect = undefined
}

// n records, and records 0, n >> 1 and n - 1 moved by (dx, dy)
function checkStore(store, n, dx, dy, step) {
	expectEqual(`${step}: record count`, store.allRecords().length, n)
	for (const i of [...new Set([0, n >> 1, n - 1])].sort((a, b) => a - b)) {
		const want = makeRecord(i)
		want.x += dx
		want.y += dy
		expectEqual(`${step}: record item:${i}`, store.get(`item:${i}`), want)
	}
}

// a listener's entry is `record`'s update alone, made by the user
function checkEntry(step, entry, record) {
	if (!entry) throw new StoreCaseFailed(`${step}: the listener got no entry`)
	const { changes } = entry
	expectEqual(`${step}: entry source`, entry.source, 'user')
	expectEqual(`${step}: entry added/removed`, [changes.added, changes.removed], [{}, {}])
	expectEqual(`${step}: entry updated ids`, Object.keys(changes.updated), [record.id])
	expectEqual(`${step}: entry's new record`, changes.updated[record.id][1], record)
}

const bumpY = (record) => ({ ...record, y: record.y + 1 })

// copies of the current records with x + 1 (made before the clock starts)
function movedX(store, ids) {
	return ids.map((id) => {
		const record = store.unsafeGetWithoutCapture(id)
		if (!record) throw new StoreCaseFailed(`${id} is missing`)
		return { ...record, x: record.x + 1 }
	})
}

function runTrial(records) {
	const n = records.length
	const ids = records.map((r) => r.id)
	const store = newStore()
	const ms = {}
	let start

	start = performance.now()
	store.put(records)
	ms.putAll = performance.now() - start
	checkStore(store, n, 0, 0, 'putAll')

	let moved = movedX(store, ids)
	start = performance.now()
	for (let i = 0; i < n; i++) store.put([moved[i]])
	ms.putEach = performance.now() - start
	checkStore(store, n, 1, 0, 'putEach')

	start = performance.now()
	for (let i = 0; i < n; i++) store.update(ids[i], bumpY)
	ms.updateEach = performance.now() - start
	checkStore(store, n, 1, 1, 'updateEach')

	let calls = 0
	let last = null
	const unlisten = store.listen((entry) => {
		calls++
		last = entry
	})
	moved = movedX(store, ids)
	start = performance.now()
	for (let i = 0; i < n; i++) store.put([moved[i]])
	ms.putEachListen = performance.now() - start
	checkStore(store, n, 2, 1, 'putEachListen')
	expectEqual('putEachListen: listener calls', calls, n)
	checkEntry('putEachListen', last, moved[n - 1])

	start = performance.now()
	for (let i = 0; i < n; i++) store.update(ids[i], bumpY)
	ms.updateEachListen = performance.now() - start
	checkStore(store, n, 2, 2, 'updateEachListen')
	expectEqual('updateEachListen: listener calls', calls, 2 * n)
	checkEntry('updateEachListen', last, store.get(ids[n - 1]))
	unlisten()

	start = performance.now()
	store.remove(ids)
	ms.removeAll = performance.now() - start
	expectEqual('removeAll: record count', store.allRecords().length, 0)
	expectEqual('removeAll: listener calls after unlisten', calls, 2 * n)
	const frozen = Object.isFrozen(records[0])
	store.dispose()
	return { ms, frozen }
}

function measureTime(opts) {
	for (let r = 0; r < opts.warmupRuns; r++) runTrial(makeRecords(opts.warmupSize))
	const records = makeRecords(opts.size)
	for (let r = 0; r < opts.warmupTrials; r++) runTrial(records)
	const ms = Object.fromEntries(OPS.map((op) => [op, []]))
	let frozen = false
	for (let t = 0; t < opts.trials; t++) {
		const trial = runTrial(records)
		frozen ||= trial.frozen
		for (const op of OPS) ms[op].push(trial.ms[op])
	}
	return { kind: 'time', size: opts.size, ms, frozen }
}

// bytes per record, from process.memoryUsage().heapUsed after full GCs
function measureMemory(n) {
	if (typeof globalThis.gc !== 'function') throw new Error('--memory needs node --expose-gc')
	const heapUsed = () => {
		globalThis.gc()
		globalThis.gc()
		return process.memoryUsage().heapUsed
	}
	const store = newStore()
	const base = heapUsed()
	let records = makeRecords(n)
	const withRecords = heapUsed()
	store.put(records)
	const withStore = heapUsed()
	records = null
	const final = heapUsed()
	checkStore(store, n, 0, 0, 'memory')
	store.dispose()
	return {
		kind: 'memory',
		size: n,
		bytesPerRecord: {
			total: (final - base) / n,
			store: (withStore - withRecords) / n,
			records: (withRecords - base) / n,
		},
	}
}

function parseArgs(argv) {
	const opts = {
		json: false,
		size: null,
		memory: null,
		trials: 5,
		warmupTrials: 1,
		warmupRuns: 30,
		warmupSize: 1000,
	}
	const numeric = {
		'--size': 'size',
		'--memory': 'memory',
		'--trials': 'trials',
		'--warmup-trials': 'warmupTrials',
		'--warmup-runs': 'warmupRuns',
		'--warmup-size': 'warmupSize',
	}
	parseOptions(argv, opts, { numeric, integers: true })
	for (const key of ['size', 'memory', 'warmupSize']) {
		if (opts[key] !== null && opts[key] < 1) throw new Error(`--${key} must be at least 1`)
	}
	return opts
}

function run(fn) {
	try {
		return fn()
	} catch (err) {
		return { kind: 'error', error: errorText(err) }
	}
}

function main() {
	const opts = parseArgs(process.argv.slice(2))
	const results = []
	if (opts.memory !== null) results.push(run(() => measureMemory(opts.memory)))
	const sizes = opts.size !== null ? [opts.size] : opts.memory !== null ? [] : [10000, 100000]
	for (const size of sizes) results.push(run(() => measureTime({ ...opts, size })))
	const report = {
		...reportHead('@tldraw/store'),
		nodeEnv: process.env.NODE_ENV ?? null,
		gcExposed: typeof globalThis.gc === 'function',
		results,
	}
	if (writeReport(report, opts.json)) return
	for (const r of results) {
		if (r.kind === 'error') console.log(`FAILED ${r.error}`)
		else if (r.kind === 'memory') {
			const b = r.bytesPerRecord
			console.log(
				`memory, N=${r.size}: ${b.total.toFixed(0)} B/record in all, ` +
					`${b.store.toFixed(0)} store, ${b.records.toFixed(0)} records alone`
			)
		} else {
			for (const op of OPS) {
				const m = median(r.ms[op])
				const perRecord = (m * 1000) / r.size
				console.log(
					`${op.padEnd(17)} N=${String(r.size).padEnd(7)} ${m.toFixed(3)} ms ` +
						`(${perRecord.toFixed(3)} µs/record)`
				)
			}
			if (r.frozen) console.log('(records were frozen by devFreeze: NODE_ENV is development or test)')
		}
	}
	if (results.some((r) => r.kind === 'error')) process.exitCode = 1
}

main()
