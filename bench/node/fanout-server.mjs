// The Node side of the fan-out benchmark (bench/fanout.py): an http + `ws` server hosting
// @tldraw/sync-core 5.4.2 `TLSocketRoom` rooms at ws://127.0.0.1:<port>/connect/<room-id>.
//
// --schema tldraw (the default): tldraw's full schema, `createTLSchema()` of @tldraw/tlschema
// 5.4.2, with its validators and migrations, as a real tldraw sync server hosts it; a new room is
// `InMemorySyncStorage`'s default snapshot (document:document and page:page at clock 0, as our
// server's tldraw rooms start).
//
// --schema demo: mirrors tlsync_core/demo_schema.py: record types document, page, shape
// (document scope) and instance_presence (presence scope), no migration sequences, and
// pass-through validators, so the same client messages work on both servers and the serialized
// schemas are equal ({schemaVersion: 2, sequences: {}}). A new room starts like ours: the
// document and page:page records at clock 0 (our integrity checker creates the same two).
// Storage is the default `InMemorySyncStorage` (node 20 has no `node:sqlite`).
//
// Usage: node fanout-server.mjs [--port P] [--host H] [--schema tldraw|demo]. Prints `{"port": P, "pid": ...}` on one
// stdout line once listening; SIGTERM / SIGINT close every room and exit.
import http from 'node:http'
import { createRecordType, StoreSchema } from '@tldraw/store'
import { InMemorySyncStorage, TLSocketRoom } from '@tldraw/sync-core'
import { createTLSchema } from '@tldraw/tlschema'
import { WebSocketServer } from 'ws'

const args = process.argv.slice(2)
const option = (name, fallback) => {
	const at = args.indexOf(name)
	return at >= 0 ? args[at + 1] : fallback
}
const port = Number(option('--port', '0'))
const host = option('--host', '127.0.0.1')
const schemaName = option('--schema', 'tldraw')
if (schemaName !== 'tldraw' && schemaName !== 'demo') {
	console.error(`unknown --schema ${schemaName}: use tldraw or demo`)
	process.exit(2)
}

const passThrough = { validate: (record) => record }
const Document = createRecordType('document', { scope: 'document', validator: passThrough })
const Page = createRecordType('page', { scope: 'document', validator: passThrough })
const Shape = createRecordType('shape', { scope: 'document', validator: passThrough })
const Presence = createRecordType('instance_presence', {
	scope: 'presence',
	validator: passThrough,
})
const demoSchema = StoreSchema.create({
	document: Document,
	page: Page,
	shape: Shape,
	instance_presence: Presence,
})
const schema = schemaName === 'tldraw' ? createTLSchema() : demoSchema

function demoSnapshot() {
	return {
		documentClock: 0,
		tombstoneHistoryStartsAtClock: 0,
		schema: schema.serialize(),
		documents: [
			{
				state: { id: 'document:document', typeName: 'document', name: '', meta: {} },
				lastChangedClock: 0,
			},
			{
				state: { id: 'page:page', typeName: 'page', name: 'Page 1', index: 'a1', meta: {} },
				lastChangedClock: 0,
			},
		],
	}
}

/** room id -> TLSocketRoom; rooms stay loaded for the life of the process (as a benchmark host). */
const rooms = new Map()

function getRoom(roomId) {
	let room = rooms.get(roomId)
	if (!room) {
		room = new TLSocketRoom({
			schema,
			storage:
				schemaName === 'tldraw'
					? new InMemorySyncStorage()
					: new InMemorySyncStorage({ snapshot: demoSnapshot() }),
			log: { warn: () => {}, error: (...a) => console.error(...a) },
		})
		rooms.set(roomId, room)
	}
	return room
}

let sessionCounter = 0
const server = http.createServer((req, res) => {
	if (req.url === '/healthz') {
		res.writeHead(200, { 'content-type': 'application/json' })
		res.end('{"ok":true}')
		return
	}
	res.writeHead(404)
	res.end('not found')
})
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 << 20 })

server.on('upgrade', (req, socket, head) => {
	const url = new URL(req.url, 'http://localhost')
	const match = /^\/connect\/([^/?#]+)$/.exec(url.pathname)
	if (!match) {
		socket.destroy()
		return
	}
	wss.handleUpgrade(req, socket, head, (ws) => {
		const roomId = decodeURIComponent(match[1])
		const sessionId = url.searchParams.get('sessionId') ?? `s${++sessionCounter}`
		getRoom(roomId).handleSocketConnect({ sessionId, socket: ws })
	})
})

server.listen(port, host, () => {
	process.stdout.write(JSON.stringify({ port: server.address().port, pid: process.pid }) + '\n')
})

function shutdown() {
	for (const room of rooms.values()) room.close()
	wss.close()
	server.close(() => process.exit(0))
	setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
