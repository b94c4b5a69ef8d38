// A headless real tldraw client for the interop tests: @tldraw/sync-core 5.4.2's TLSyncClient
// and ClientWebSocketAdapter over `ws`, on a @tldraw/store Store with tldraw's default schema
// (validation on, tldraw's integrity checker), driven by line-JSON commands on stdin:
//
//   {"id", "op": "put", "records": [...]}      -> {"id", "result": null}
//   {"id", "op": "remove", "ids": [...]}
//   {"id", "op": "update", "id_": <record id>, "changes": {...}}   (shallow merge)
//   {"id", "op": "documents"}                  -> every document-scope record, by id
//   {"id", "op": "status"}                     -> {connected, pending, loaded, syncError}
//   {"id", "op": "presence", "record": {...}}   (sets the presence signal)
//   {"id", "op": "close"}
// Errors answer {"id", "error": message}. Events (load, sync errors) go to stderr.
//
// Usage: node sync-client.mjs <ws url>
import { atom } from '@tldraw/state'
import { Store } from '@tldraw/store'
import { ClientWebSocketAdapter, TLSyncClient } from '@tldraw/sync-core'
import { createTLSchema } from '@tldraw/tlschema'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'

// the browser globals the adapter expects
globalThis.WebSocket = WebSocket
globalThis.window = Object.assign(new EventTarget(), { devicePixelRatio: 1 })
globalThis.document = Object.assign(new EventTarget(), { hidden: false })
if (typeof globalThis.navigator === 'undefined') globalThis.navigator = {}
globalThis.requestAnimationFrame = (cb) => setTimeout(() => cb(Date.now()), 16)
globalThis.cancelAnimationFrame = (handle) => clearTimeout(handle)
console.log = console.error

const url = process.argv[2]
const schema = createTLSchema()
const store = new Store({
	schema,
	props: {
		defaultName: '',
		assets: { upload: async () => ({ src: '' }), resolve: (a) => a.props.src, remove: async () => {} },
		users: { currentUser: atom('user', null), resolve: () => null },
		onMount: () => {},
	},
})
const presence = atom('presence', null)
const state = { loaded: false, syncError: null }
const socket = new ClientWebSocketAdapter(() => url)
const client = new TLSyncClient({
	store,
	socket,
	presence,
	presenceMode: atom('presenceMode', 'full'),
	onLoad: () => {
		state.loaded = true
		console.error('loaded')
	},
	onSyncError: (reason) => {
		state.syncError = reason
		console.error('sync error', reason)
	},
})

const OPS = {
	put: ({ records }) => store.put(records),
	remove: ({ ids }) => store.remove(ids),
	update: ({ id_, changes }) => store.update(id_, (r) => ({ ...r, ...changes })),
	documents: () => {
		const out = {}
		for (const record of store.allRecords()) {
			if (store.scopedTypes.document.has(record.typeName)) out[record.id] = record
		}
		return out
	},
	all: () => Object.fromEntries(store.allRecords().map((r) => [r.id, r])),
	status: () => ({
		connected: client.isConnectedToRoom,
		pending: client.pendingPushRequests.length,
		speculative:
			Object.keys(client.speculativeChanges.added).length +
			Object.keys(client.speculativeChanges.updated).length +
			Object.keys(client.speculativeChanges.removed).length,
		loaded: state.loaded,
		syncError: state.syncError,
	}),
	presence: ({ record }) => presence.set(record),
	close: () => {
		client.close()
		socket.close()
		setTimeout(() => process.exit(0), 50)
	},
}

createInterface({ input: process.stdin }).on('line', (line) => {
	if (!line.trim()) return
	const request = JSON.parse(line)
	let response
	try {
		const result = OPS[request.op](request)
		response = { id: request.id, result: result === undefined ? null : result }
	} catch (error) {
		response = { id: request.id, error: String(error && error.message ? error.message : error) }
	}
	process.stdout.write(JSON.stringify(response) + '\n')
})
