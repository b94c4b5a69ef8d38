// Ops that host real @tldraw/sync-core 5.4.2 TLSyncRooms for tests/room_diff (differential
// room tests): tldraw's default schema, an InMemorySyncStorage loaded from a snapshot (tldraw's
// DEFAULT_INITIAL_SNAPSHOT unless given), fake sockets that record what the room sends, and a
// settable clock.
//
//   roomDefaultSnapshot()                    -> DEFAULT_INITIAL_SNAPSHOT (JSON)
//   roomCreate({snapshot?, start})           -> {room: handle}
//   roomEvent({room, event})                 -> null: one event (see EVENTS below)
//   roomEvents({room, events})               -> null: several, in order
//   roomFlush({room})                        -> null: room._flushDataMessages for every session
//   roomResult({room})                       -> {sockets: [{session, frames, closed,
//                                                closedByClient}], presenceIds (one per open),
//                                                sessions: {id: {state, presenceId}},
//                                                presence: {id: record}, snapshot, errors
//                                                (non-sync exceptions), staleTimers}
//   roomDispose({room})                      -> null: room.close(), forget the handle
//   roomRun({runs: [{snapshot?, start, events}]}) -> [result]: create, run every event, flush,
//                                                result, dispose; many runs per call
//
// EVENTS (a JSON object with a type `t`; `s` is a session id):
//   {t: 'open', s, readonly?}   a new socket: room.handleNewSession({sessionId, socket, ...})
//   {t: 'msg', s, m}            room.handleMessage(s, m); a rejected promise (a non-sync error)
//                               rejects the session with UNKNOWN_ERROR, as TLSocketRoom does
//   {t: 'close', s, sock?}      the client closes the socket (s's latest, or socket number
//                               `sock`): isOpen = false, then room.handleClose(s)
//   {t: 'drop', s, sock?}       the socket stops being open and the room is not told
//   {t: 'advance', ms}          the clock moves by ms; due debounce timers (data batches) run
//                               in deadline order; then the room prunes its sessions once
//
// Time. While an op runs, Date.now, setTimeout/clearTimeout and setInterval/clearInterval are
// this room's fakes (restored afterwards, so other ops see the real ones). Timers never run
// by themselves: an `advance` runs the debounce timers (delay 1000/60, due 16 ms later: Node
// truncates a timer's delay to whole milliseconds) that are due and calls
// the room's throttled pruneSessions followed by its flush(), which prunes exactly once, now.
// The room's own prune schedule (the 2 s interval, the follow-up after a cancel, the throttle's
// trailing call) is never run: the test decides when pruning happens, the same instants as the
// Python room's tick(). TLSocketRoom also prunes after every message; this host does not
// (nor does ours, which prunes at its deadlines). An `advance` also runs the storage's pending
// tombstone pruning (a throttled trailing call, 1 s after a delete in tldraw; ours prunes when
// the delete commits).
//
// One timing quirk of 5.4.2 is left out: a session replaced under the same id (a reconnect, a
// second connect, a cancel) keeps its debounce timer running, and when it fires it flushes the
// batch of whatever session has that id by then, early, and clears that session's own timer.
// Our room has no such early flush, and which messages a session ends up receiving before it
// closes then depends on it (a batch still waiting when a session ends is lost in both rooms).
// So a debounce timer that is no longer any session's debounceTimer is dropped when due
// (counted in the result's staleTimers). That changes only when batches go out.
//
// Sockets. sendMessage on an open socket records the JSON round trip of the message; on a
// closed one it is dropped (a closed ws discards sends). close(code, reason) records the first
// close while open.

import { DEFAULT_INITIAL_SNAPSHOT, InMemorySyncStorage, TLSyncRoom } from '@tldraw/sync-core'
import { createTLSchema } from '@tldraw/tlschema'

const DATA_MESSAGE_DEBOUNCE_INTERVAL = 1000 / 60
const schema = createTLSchema()
const hosts = new Map()
let nextHandle = 1

class FakeSocket {
	constructor(session) {
		this.session = session
		this.isOpen = true
		this.frames = []
		this.closed = null
		this.closedByClient = false
	}
	sendMessage(message) {
		if (!this.isOpen) return
		this.frames.push(JSON.parse(JSON.stringify(message)))
	}
	close(code, reason) {
		if (!this.isOpen) return
		this.isOpen = false
		this.closed = { code: code ?? null, reason: reason ?? null }
	}
}

class Host {
	constructor(start) {
		this.now = start
		this.timers = []
		this.seq = 0
		this.sockets = []
		this.latest = new Map()
		this.presenceIds = []
		this.errors = []
		this.staleTimers = 0
		this.room = null
	}

	schedule(fn, delay, args) {
		// as Node's own timers: the delay truncated to whole milliseconds (1000/60 -> 16)
		const due = this.now + Math.trunc(delay ?? 0)
		const timer = { fake: true, due, delay, seq: this.seq++, fn, args }
		this.timers.push(timer)
		return timer
	}

	runDueFlushTimers() {
		for (;;) {
			let next = null
			for (const timer of this.timers) {
				if (timer.delay !== DATA_MESSAGE_DEBOUNCE_INTERVAL || timer.due > this.now) continue
				if (!next || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq)) {
					next = timer
				}
			}
			if (!next) return
			this.timers.splice(this.timers.indexOf(next), 1)
			// a stale timer (of a session object since replaced) is dropped: see the header
			const live = [...this.room.sessions.values()].some((s) => s.debounceTimer === next)
			if (live) next.fn(...next.args)
			else this.staleTimers++
		}
	}

	prune() {
		this.room.pruneSessions()
		this.room.pruneSessions.flush()
		// the storage's tombstone pruning is throttled (1 s, trailing edge only): whatever a
		// delete scheduled runs now (ours prunes at the commit itself)
		this.room.storage.pruneTombstones.flush()
	}

	socketFor(event) {
		if (event.sock !== undefined && event.sock !== null) return this.sockets[event.sock]
		return this.latest.get(event.s)
	}

	async apply(event) {
		switch (event.t) {
			case 'open': {
				const socket = new FakeSocket(event.s)
				this.sockets.push(socket)
				this.latest.set(event.s, socket)
				this.room.handleNewSession({
					sessionId: event.s,
					socket,
					isReadonly: event.readonly ?? false,
					meta: undefined,
				})
				this.presenceIds.push(this.room.sessions.get(event.s)?.presenceId ?? null)
				return
			}
			case 'msg': {
				try {
					await this.room.handleMessage(event.s, event.m)
				} catch (error) {
					this.errors.push(`${event.s}: ${error?.name}: ${error?.message}`)
					this.room.rejectSession(event.s, 'UNKNOWN_ERROR')
				}
				return
			}
			case 'close': {
				const socket = this.socketFor(event)
				if (socket?.isOpen) {
					socket.isOpen = false
					socket.closedByClient = true
				}
				this.room.handleClose(event.s)
				return
			}
			case 'drop': {
				const socket = this.socketFor(event)
				if (socket?.isOpen) {
					socket.isOpen = false
					socket.closedByClient = true
				}
				return
			}
			case 'advance': {
				this.now += event.ms
				this.runDueFlushTimers()
				this.prune()
				return
			}
			default:
				throw new Error(`unknown room event ${JSON.stringify(event.t)}`)
		}
	}

	flush() {
		for (const sessionId of [...this.room.sessions.keys()]) {
			this.room._flushDataMessages(sessionId)
		}
	}

	result() {
		const sessions = {}
		for (const [id, session] of this.room.sessions) {
			sessions[id] = { state: session.state, presenceId: session.presenceId ?? null }
		}
		const presence = {}
		for (const record of this.room.presenceStore.values()) presence[record.id] = record
		return JSON.parse(
			JSON.stringify({
				sockets: this.sockets.map((socket) => ({
					session: socket.session,
					frames: socket.frames,
					closed: socket.closed,
					closedByClient: socket.closedByClient,
				})),
				presenceIds: this.presenceIds,
				sessions,
				presence,
				snapshot: this.room.storage.getSnapshot(),
				errors: this.errors,
				staleTimers: this.staleTimers,
			})
		)
	}
}

// Run fn with this host's clock and timers installed (and console.error silenced: the storage
// logs every failed transaction), restoring the real ones afterwards.
async function withHost(host, fn) {
	const saved = {
		now: Date.now,
		setTimeout: globalThis.setTimeout,
		clearTimeout: globalThis.clearTimeout,
		setInterval: globalThis.setInterval,
		clearInterval: globalThis.clearInterval,
		error: console.error,
	}
	Date.now = () => host.now
	globalThis.setTimeout = (fn, delay, ...args) => host.schedule(fn, delay, args)
	globalThis.clearTimeout = (timer) => {
		const index = host.timers.indexOf(timer)
		if (index >= 0) host.timers.splice(index, 1)
	}
	// the room's prune interval: recorded, never run
	globalThis.setInterval = () => ({ fake: true, interval: true })
	globalThis.clearInterval = () => {}
	console.error = () => {}
	try {
		return await fn()
	} finally {
		Date.now = saved.now
		globalThis.setTimeout = saved.setTimeout
		globalThis.clearTimeout = saved.clearTimeout
		globalThis.setInterval = saved.setInterval
		globalThis.clearInterval = saved.clearInterval
		console.error = saved.error
	}
}

// Call inside withHost(host, ...): the room reads the clock and starts its prune interval.
function initHost(host, snapshot) {
	const storage = new InMemorySyncStorage({
		snapshot: structuredClone(snapshot ?? DEFAULT_INITIAL_SNAPSHOT),
	})
	host.room = new TLSyncRoom({ schema, storage })
}

function getHost(handle) {
	const host = hosts.get(handle)
	if (!host) throw new Error(`no room ${handle}`)
	return host
}

async function runEvents(host, events) {
	for (const [index, event] of events.entries()) {
		try {
			await host.apply(event)
		} catch (error) {
			error.message = `event ${index} (${JSON.stringify(event).slice(0, 200)}): ${error.message}`
			throw error
		}
	}
}

export const roomOps = {
	roomDefaultSnapshot: () => JSON.parse(JSON.stringify(DEFAULT_INITIAL_SNAPSHOT)),
	roomCreate: async (payload) => {
		const handle = nextHandle++
		const host = new Host(payload.start ?? 0)
		await withHost(host, async () => initHost(host, payload.snapshot))
		hosts.set(handle, host)
		return { room: handle }
	},
	roomEvent: ({ room, event }) => {
		const host = getHost(room)
		return withHost(host, async () => {
			await host.apply(event)
			return null
		})
	},
	roomEvents: ({ room, events }) => {
		const host = getHost(room)
		return withHost(host, async () => {
			await runEvents(host, events)
			return null
		})
	},
	roomFlush: ({ room }) => {
		const host = getHost(room)
		return withHost(host, async () => {
			host.flush()
			return null
		})
	},
	roomResult: ({ room }) => getHost(room).result(),
	roomDispose: ({ room }) => {
		const host = getHost(room)
		hosts.delete(room)
		return withHost(host, async () => {
			host.room.close()
			return null
		})
	},
	roomRun: async ({ runs }) => {
		const results = []
		for (const run of runs) {
			const host = new Host(run.start ?? 0)
			results.push(
				await withHost(host, async () => {
					initHost(host, run.snapshot)
					await runEvents(host, run.events)
					host.flush()
					const result = host.result()
					host.room.close()
					return result
				})
			)
		}
		return results
	},
}
