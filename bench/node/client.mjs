// The client benchmark's Node side (`python -m bench.client`): @tldraw/sync-core's TLSyncClient
// on an in-memory socket, timed on the same messages and edits as tlsync's TLSyncClient.
//
//   node bench/node/client.mjs --json --input client-input.json
//
// The input file (written by bench/client.py) holds the sizes, the trial counts and the message
// texts, so both sides parse exactly the same bytes:
//   {"shapes", "pending", "edits", "trials": {case: n}, "warmup": {case: n},
//    "connect": <connect text>, "placeholder": <the connectRequestId to replace>,
//    "rebase": {"rebase_one_push": [<data text>, ...], "rebase_many_pushes": [...]}}
// It prints one JSON line: {"library", "version", "runtime", "nodeEnv", "samples": {case: [...]},
// "error"}. Samples are ms, except edit_to_push: µs per change.
//
// The cases (keep them in step with bench/client.py):
//   hydrate             a fresh client (its connect request sent), then JSON.parse of the connect
//                       answer (wipe_all: a document, a page and `shapes` shapes) and its delivery;
//                       onLoad has run and the store holds every record when it returns.
//   rebase_one_push     on the hydrated client, `pending` shapes moved in one store.put (one push,
//                       not acknowledged); then JSON.parse of a `data` message patching 100 shapes,
//                       its delivery and the rebase (undo the speculative changes, apply the patch,
//                       re-apply the pending push).
//   rebase_many_pushes  the same with the `pending` shapes moved one put each (`pending` pushes).
//   edit_to_push        `edits` store.update calls (x + 1), each followed by the flush that sends
//                       its push; the sample is the loop's time ÷ edits.
// Untimed between trials: the checks, and acknowledging every pending push (push_result commit).
//
// Scheduling. TLSyncClient throttles its sends and rebases with FpsScheduler.fpsThrottle
// (requestAnimationFrame, 30 fps); under NODE_ENV=test they run synchronously, but test mode
// also freezes every record (devFreeze), so the runner uses NODE_ENV=production. This script
// defines a requestAnimationFrame that never fires and, where the Python client (fps=None) runs
// its throttled work at once, calls `client.fpsScheduler.flush()`, which runs every queued send
// and rebase. The store's history is flushed to listeners at the end of each transaction, as in
// tlsync's Store, by removing the history reactor's scheduleEffect (as store.mjs does).
//
// The schema mirrors tlsync_core.demo_schema: document, page, shape and
// instance_presence, with @tldraw/validate validators of the same strength (T.model, T.object,
// T.dict, T.jsonValue, ...), and an integrity checker that, like the Python one, scans every
// record for a page after each mergeRemoteChanges. It is not tldraw's full schema.

import { performance } from 'node:perf_hooks'
import { Store, StoreSchema, createRecordType } from '@tldraw/store'
import { TLSyncClient } from '@tldraw/sync-core'
import { T } from '@tldraw/validate'
import { errorText, median, readInput, reportHead, writeReport } from './common.mjs'

const CASES = ['hydrate', 'rebase_one_push', 'rebase_many_pushes', 'edit_to_push']

// FpsScheduler asks for a frame and waits for it; no frame ever comes, flush() runs the queue.
globalThis.requestAnimationFrame = () => 1
globalThis.cancelAnimationFrame = () => {}

class ClientCaseFailed extends Error {}

// --------------------------------------------------------------------------------------------
// the schema (tlsync_core.demo_schema)

const json = T.jsonValue
const Document = createRecordType('document', {
	scope: 'document',
	validator: T.model(
		'document',
		T.object({ id: T.string, typeName: T.literal('document'), name: T.string, meta: json })
	),
})
const Page = createRecordType('page', {
	scope: 'document',
	validator: T.model(
		'page',
		T.object({
			id: T.string,
			typeName: T.literal('page'),
			name: T.string,
			index: T.string,
			meta: json,
		})
	),
})
const Shape = createRecordType('shape', {
	scope: 'document',
	validator: T.model(
		'shape',
		T.object({
			id: T.string,
			typeName: T.literal('shape'),
			type: T.string,
			parentId: T.string,
			index: T.string,
			x: T.number,
			y: T.number,
			rotation: T.number,
			props: T.dict(T.string, json),
			meta: json,
		})
	),
})
const Presence = createRecordType('instance_presence', {
	scope: 'presence',
	validator: T.model(
		'instance_presence',
		T.object({
			id: T.string,
			typeName: T.literal('instance_presence'),
			userName: T.string,
			color: T.string,
			cursor: T.nullable(T.object({ x: T.number, y: T.number })),
		})
	),
})

const schema = StoreSchema.create(
	{ document: Document, page: Page, shape: Shape, instance_presence: Presence },
	{
		createIntegrityChecker: (store) => () => {
			if (!store.has('document:document')) {
				store.put([{ id: 'document:document', typeName: 'document', name: '', meta: {} }])
			}
			// like tlsync's store.query.exec("page"): a scan of every record
			if (store.allRecords().filter((r) => r.typeName === 'page').length === 0) {
				store.put([
					{ id: 'page:page', typeName: 'page', name: 'Page 1', index: 'a1', meta: {} },
				])
			}
		},
	}
)

// --------------------------------------------------------------------------------------------
// the in-memory socket and the client

class MemorySocket {
	connectionStatus = 'online'
	sent = []
	restarts = 0
	receivers = new Set()
	statusListeners = new Set()

	sendMessage(message) {
		this.sent.push(message)
	}
	onReceiveMessage(cb) {
		this.receivers.add(cb)
		return () => this.receivers.delete(cb)
	}
	onStatusChange(cb) {
		this.statusListeners.add(cb)
		return () => this.statusListeners.delete(cb)
	}
	restart() {
		this.restarts++
	}
	close() {
		this.connectionStatus = 'offline'
	}
	deliver(message) {
		for (const cb of [...this.receivers]) cb(message)
	}
}

const openClients = new Set()

function newClient() {
	const store = new Store({ schema, props: {} })
	const scheduler = store.historyReactor?.scheduler
	if (!scheduler || !('_scheduleEffect' in scheduler)) {
		throw new Error('@tldraw/store internals changed: no historyReactor.scheduler._scheduleEffect')
	}
	scheduler._scheduleEffect = undefined
	const socket = new MemorySocket()
	const state = { loaded: 0, syncErrors: [] }
	const client = new TLSyncClient({
		store,
		socket,
		onLoad: () => state.loaded++,
		onSyncError: (reason) => state.syncErrors.push(reason),
	})
	if (typeof client.fpsScheduler?.flush !== 'function') {
		throw new Error('@tldraw/sync-core internals changed: no client.fpsScheduler.flush()')
	}
	openClients.add(client)
	const connect = socket.sent[0]
	if (socket.sent.length !== 1 || connect.type !== 'connect') {
		throw new ClientCaseFailed(`expected one connect request, got ${JSON.stringify(socket.sent)}`)
	}
	return { store, socket, client, state, connectRequestId: connect.connectRequestId }
}

function closeClient(c) {
	c.client.close()
	c.store.dispose()
	openClients.delete(c.client)
}

// --------------------------------------------------------------------------------------------
// checks

function expectEqual(what, actual, expected) {
	const a = JSON.stringify(actual)
	const e = JSON.stringify(expected)
	if (a !== e) throw new ClientCaseFailed(`${what}: expected ${e}, got ${a}`)
}

function checkHealthy(c, step) {
	expectEqual(`${step}: sync errors`, c.state.syncErrors, [])
	expectEqual(`${step}: socket restarts`, c.socket.restarts, 0)
	expectEqual(`${step}: connected`, c.client.isConnectedToRoom, true)
}

function checkHydrated(c, connect, step) {
	checkHealthy(c, step)
	expectEqual(`${step}: onLoad calls`, c.state.loaded, 1)
	const ids = Object.keys(connect.diff)
	expectEqual(`${step}: record count`, c.store.allRecords().length, ids.length)
	for (const id of [ids[0], ids[1], ids[ids.length >> 1], ids[ids.length - 1]]) {
		expectEqual(`${step}: ${id}`, c.store.get(id), connect.diff[id][1])
	}
}

const shapeId = (i) => `shape:${i}`
// the x a rebase run gives pending shape i (tlsync's local_x)
const localX = (run, i) => run * 100000 + i + 0.25

// after a rebase: remote y everywhere, remote x unless the shape has a pending local x
function checkRebased(c, patchText, run, pending, step) {
	checkHealthy(c, step)
	const event = JSON.parse(patchText).data[0]
	expectEqual(`${step}: lastServerClock`, c.client.lastServerClock, event.serverClock)
	for (const [id, [, patch]] of Object.entries(event.diff)) {
		const record = c.store.get(id)
		const i = Number(id.slice('shape:'.length))
		const x = i < pending ? localX(run, i) : patch.x[1]
		expectEqual(`${step}: ${id} x, y`, [record.x, record.y], [x, patch.y[1]])
	}
	for (let i = 0; i < pending; i++) {
		expectEqual(`${step}: ${shapeId(i)} x`, c.store.get(shapeId(i)).x, localX(run, i))
	}
}

// acknowledge every pending push (untimed): one data message of push_result commits
function acknowledgeAll(c, step) {
	const data = c.client.pendingPushRequests.map((request, k) => ({
		type: 'push_result',
		clientClock: request.clientClock,
		serverClock: c.client.lastServerClock + k + 1,
		action: 'commit',
	}))
	if (data.length === 0) return
	c.socket.deliver({ type: 'data', data })
	c.client.fpsScheduler.flush()
	checkHealthy(c, step)
	expectEqual(`${step}: pending pushes after the acks`, c.client.pendingPushRequests.length, 0)
}

// --------------------------------------------------------------------------------------------
// the cases

function hydrateOnce(input) {
	const c = newClient()
	const text = input.connect.replace(input.placeholder, c.connectRequestId)
	const start = performance.now()
	c.socket.deliver(JSON.parse(text))
	const ms = performance.now() - start
	return { c, ms, text }
}

function runHydrate(input, runs) {
	const samples = []
	let last = null
	for (let r = 0; r < runs; r++) {
		const { c, ms, text } = hydrateOnce(input)
		checkHydrated(c, JSON.parse(text), 'hydrate')
		samples.push(ms)
		if (last) closeClient(last)
		last = c
	}
	return { samples, client: last }
}

// `run` numbers the rebase runs of both variants from 1, in order (the local x values use it)
function runRebase(c, input, variant, texts, firstRun) {
	const samples = []
	const pending = input.pending
	texts.forEach((text, k) => {
		const run = firstRun + k
		const sentBefore = c.socket.sent.length
		const moved = []
		for (let i = 0; i < pending; i++) {
			moved.push({ ...c.store.get(shapeId(i)), x: localX(run, i) })
		}
		if (variant === 'rebase_one_push') {
			c.store.put(moved)
			c.client.fpsScheduler.flush()
		} else {
			for (const record of moved) {
				c.store.put([record])
				c.client.fpsScheduler.flush()
			}
		}
		const pushes = variant === 'rebase_one_push' ? Math.min(pending, 1) : pending
		expectEqual(`${variant}: pushes sent`, c.socket.sent.length - sentBefore, pushes)
		expectEqual(`${variant}: pending pushes`, c.client.pendingPushRequests.length, pushes)
		const start = performance.now()
		c.socket.deliver(JSON.parse(text))
		c.client.fpsScheduler.flush()
		samples.push(performance.now() - start)
		checkRebased(c, text, run, pending, variant)
		acknowledgeAll(c, variant)
	})
	return samples
}

function runEdits(c, edits, shapes, runs) {
	const samples = []
	const bump = (record) => ({ ...record, x: record.x + 1 })
	for (let r = 0; r < runs; r++) {
		const ids = []
		for (let k = 0; k < edits; k++) ids.push(shapeId(k % shapes))
		const sentBefore = c.socket.sent.length
		const clockBefore = c.client.clientClock
		const start = performance.now()
		for (const id of ids) {
			c.store.update(id, bump)
			c.client.fpsScheduler.flush()
		}
		samples.push(((performance.now() - start) * 1000) / edits)
		const pushes = c.socket.sent.slice(sentBefore)
		expectEqual('edit_to_push: pushes sent', pushes.length, edits)
		expectEqual(
			'edit_to_push: push clocks',
			pushes.map((p) => p.clientClock),
			ids.map((_, k) => clockBefore + k)
		)
		const lastId = ids[ids.length - 1]
		expectEqual('edit_to_push: last push', pushes[pushes.length - 1], {
			type: 'push',
			clientClock: clockBefore + edits - 1,
			diff: { [lastId]: ['patch', { x: ['put', c.store.get(lastId).x] }] },
		})
		checkHealthy(c, 'edit_to_push')
		acknowledgeAll(c, 'edit_to_push')
	}
	return samples
}

function measure(input) {
	const { trials, warmup } = input
	const hydrate = runHydrate(input, warmup.hydrate + trials.hydrate)
	const samples = { hydrate: hydrate.samples.slice(warmup.hydrate) }
	const c = hydrate.client
	let run = 1
	for (const variant of ['rebase_one_push', 'rebase_many_pushes']) {
		const texts = input.rebase[variant]
		expectEqual(`${variant}: messages`, texts.length, warmup[variant] + trials[variant])
		samples[variant] = runRebase(c, input, variant, texts, run).slice(warmup[variant])
		run += texts.length
	}
	const runs = warmup.edit_to_push + trials.edit_to_push
	samples.edit_to_push = runEdits(c, input.edits, input.shapes, runs).slice(warmup.edit_to_push)
	closeClient(c)
	return samples
}

// --------------------------------------------------------------------------------------------
// main

function main() {
	const input = readInput('node client.mjs [--json] --input client-input.json')
	const report = {
		...reportHead('@tldraw/sync-core'),
		nodeEnv: process.env.NODE_ENV ?? null,
		samples: null,
		error: null,
	}
	try {
		report.samples = measure(input)
	} catch (err) {
		report.error = errorText(err)
	} finally {
		for (const client of openClients) client.close() // its intervals would keep node alive
	}
	if (!writeReport(report, process.argv.includes('--json'))) {
		if (report.error) console.log(`FAILED ${report.error}`)
		for (const name of CASES) {
			if (!report.samples) break
			const unit = name === 'edit_to_push' ? 'µs per change' : 'ms'
			console.log(`${name.padEnd(19)} ${median(report.samples[name]).toFixed(3)} ${unit}`)
		}
	}
	if (report.error) process.exitCode = 1
}

main()
