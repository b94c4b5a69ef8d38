// The node peer of tlsync's differential tests: runs the real @tldraw packages.
//
// Protocol: one JSON request per line on stdin, one JSON response per line on stdout, in order.
//   request:  {"id": <any>, "op": "<name>", ...payload}
//   response: {"id": <same>, "result": <the op's result>}
//         or  {"id": <same>, "error": {"name", "message", "stack"}}  (the op itself failed)
// An op is a function (payload) => result (or a promise of one), registered in OPS below.
// Later work adds ops in a new module under ./ops and spreads it into OPS.
//
// NODE_ENV is left unset, so tldraw runs with its development checks, as in its own tests.

import { createInterface } from 'node:readline'
import { chunkOps } from './ops/chunk.mjs'
import { diffOps } from './ops/diff.mjs'
import { indicesOps } from './ops/indices.mjs'
import { jsOps } from './ops/js.mjs'
import { roomOps } from './ops/room.mjs'
import { tldrawOps } from './ops/tldraw.mjs'
import { validateOps } from './ops/validate.mjs'

// stdout is the protocol channel: nothing else may write there.
console.log = console.error
console.info = console.error
console.warn = console.error
console.debug = console.error

const OPS = {
	...chunkOps,
	...diffOps,
	...indicesOps,
	...jsOps,
	...roomOps,
	...tldrawOps,
	...validateOps,
	ping: () => ({ pong: true, node: process.version }),
	ops: () => Object.keys(OPS).sort(),
}

function send(response) {
	process.stdout.write(JSON.stringify(response) + '\n')
}

function describeError(error) {
	if (error instanceof Error) {
		return { name: error.name, message: error.message, stack: error.stack }
	}
	return { name: 'Error', message: String(error) }
}

async function handle(line) {
	if (!line.trim()) return
	let request
	try {
		request = JSON.parse(line)
	} catch (error) {
		send({ id: null, error: { name: 'ProtocolError', message: `invalid JSON: ${error.message}` } })
		return
	}
	const { id = null, op, ...payload } = request
	if (typeof op !== 'string' || !Object.hasOwn(OPS, op)) {
		send({ id, error: { name: 'UnknownOp', message: `unknown op ${JSON.stringify(op)}` } })
		return
	}
	try {
		send({ id, result: await OPS[op](payload) })
	} catch (error) {
		send({ id, error: describeError(error) })
	}
}

let queue = Promise.resolve()
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
	queue = queue.then(() => handle(line))
})
lines.on('close', () => {
	queue.then(() => process.exit(0))
})
