// A real tldraw sync server for the interop tests: @tldraw/sync-core 5.4.2 `TLSocketRoom` rooms
// with tldraw's default schema (createTLSchema, validation on) on an http + `ws` server at
// ws://127.0.0.1:<port>/connect/<room-id>, the way a tldraw host serves them.
//
//   GET /rooms/<room-id>/snapshot -> the room's current snapshot (JSON)
//
// Usage: node room-server.mjs [--port P]. Prints {"port": P} on one stdout line once listening;
// SIGTERM / SIGINT close every room and exit.
import http from 'node:http'
import { InMemorySyncStorage, TLSocketRoom } from '@tldraw/sync-core'
import { createTLSchema } from '@tldraw/tlschema'
import { WebSocketServer } from 'ws'

const args = process.argv.slice(2)
const at = args.indexOf('--port')
const port = at >= 0 ? Number(args[at + 1]) : 0
const schema = createTLSchema()
const rooms = new Map()

function getRoom(roomId) {
	let room = rooms.get(roomId)
	if (!room) {
		room = new TLSocketRoom({
			schema,
			storage: new InMemorySyncStorage(),
			log: { warn: () => {}, error: (...a) => console.error(...a) },
		})
		rooms.set(roomId, room)
	}
	return room
}

const server = http.createServer((req, res) => {
	const match = /^\/rooms\/([^/?#]+)\/snapshot$/.exec(req.url ?? '')
	if (match) {
		res.writeHead(200, { 'content-type': 'application/json' })
		res.end(JSON.stringify(getRoom(decodeURIComponent(match[1])).getCurrentSnapshot()))
		return
	}
	res.writeHead(404)
	res.end()
})
const wss = new WebSocketServer({ server })
wss.on('connection', (ws, req) => {
	const url = new URL(req.url ?? '/', 'http://localhost')
	const match = /^\/connect\/([^/]+)$/.exec(url.pathname)
	if (!match) {
		ws.close(1008, 'bad path')
		return
	}
	const sessionId = url.searchParams.get('sessionId') ?? crypto.randomUUID()
	getRoom(decodeURIComponent(match[1])).handleSocketConnect({ sessionId, socket: ws })
})

server.listen(port, '127.0.0.1', () => {
	process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
})

function shutdown() {
	for (const room of rooms.values()) room.close()
	wss.close()
	server.close(() => process.exit(0))
	setTimeout(() => process.exit(0), 1000).unref()
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
