// The JS side of the view's differential tests: runs tlsync_core/views/static/liveview.js (the
// browser live view) under node, and tldraw's own code where there is some to compare with.
//
// stdin: one JSON object {"render": [{records, pageId}], "applyObjectDiff": [{object, diff}],
//                         "applyDiff": [{records, diff}], "decodePoints": [segment]}
// stdout: one JSON object with the same keys:
//   render: the SVG texts (liveview.renderSvg)
//   applyObjectDiff: [{live, tldraw}] (liveview's and @tldraw/sync-core 5.4.2's results)
//   applyDiff: [{records, changed}]
//   decodePoints: [{live, tldraw}] (liveview's points and @tldraw/tlschema's b64Vecs.decodePoints
//     of the path, or _legacyDecodePoints of a points string; [] where it throws)
// The @tldraw packages come from tests/node/node_modules (install them first).

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

// argv[2]: liveview.js as served (tlsync_core/views/files.py: its constants filled in)
const source = readFileSync(process.argv[2], 'utf8')
// liveview.js is an ES module in a package without "type": "module": import it as text
const live = await import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'))
const require = createRequire(new URL('../node/package.json', import.meta.url))
const { applyObjectDiff } = require('@tldraw/sync-core')
const { b64Vecs } = require('@tldraw/tlschema')

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const clone = (value) => JSON.parse(JSON.stringify(value))
const result = {
	render: (request.render || []).map(({ records, pageId }) =>
		live.renderSvg(records, { pageId: pageId ?? null })
	),
	applyObjectDiff: (request.applyObjectDiff || []).map(({ object, diff }) => ({
		live: live.applyObjectDiff(clone(object), diff),
		tldraw: applyObjectDiff(clone(object), diff),
	})),
	applyDiff: (request.applyDiff || []).map(({ records, diff }) => {
		const copy = clone(records)
		const changed = live.applyDiff(copy, diff)
		return { records: copy, changed }
	}),
	decodePoints: (request.decodePoints || []).map((segment) => ({
		live: live.decodePoints(segment).map(([x, y]) => ({ x, y })),
		tldraw: tldrawPoints(segment).map(({ x, y }) => ({ x, y })),
	})),
}
process.stdout.write(JSON.stringify(result))

// b64Vecs' points of a segment's path (or legacy points string); none where it throws
function tldrawPoints(segment) {
	try {
		if (typeof segment.path === 'string') return b64Vecs.decodePoints(segment.path, segment.dim)
		return b64Vecs._legacyDecodePoints(segment.points)
	} catch {
		return []
	}
}

