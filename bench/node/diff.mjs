// The diff benchmark's Node side (`python -m bench.protocol_diff`): @tldraw/sync-core 5.4.2's
// diffRecord and applyObjectDiff on the same records that tlsync diffs.
//
//   node bench/node/diff.mjs --json --input cases.json
//
// The input file (written by bench/protocol_diff.py) is
//   {"cases": [{"name", "prev", "next", "expected", "inner", "samples", "warmup"}]}
// For each case this script makes `next` share every unchanged part with `prev` (as a store
// update does, and as the Python side does), checks that diffRecord(prev, next) is exactly the
// `expected` JSON text and that applyObjectDiff(prev, diff) equals `next`, then takes `samples`
// timings of `inner` calls each of diffRecord(prev, next) and applyObjectDiff(prev, diff), after
// `warmup` untimed calls of each. It prints one JSON line: {"node", "version", "results":
// [{"name", "diff": [µs per call, ...], "apply": [...]} or {"name", "error"}]}.
// Run it with NODE_ENV=production, as the runner does.

import { performance } from 'node:perf_hooks'
import { applyObjectDiff, diffRecord } from '@tldraw/sync-core'
import { isEqual } from '@tldraw/utils'
import { libraryVersion, median, readInput } from './common.mjs'

const version = libraryVersion('@tldraw/sync-core')

// next, with every part equal to the same part of prev replaced by that part
function share(prev, next) {
	if (isEqual(prev, next)) return prev
	if (Array.isArray(prev) && Array.isArray(next)) {
		return next.map((item, i) => (i < prev.length ? share(prev[i], item) : item))
	}
	if (prev && next && typeof prev === 'object' && typeof next === 'object') {
		const out = {}
		for (const [k, v] of Object.entries(next)) out[k] = k in prev ? share(prev[k], v) : v
		return out
	}
	return next
}

let sink = 0

function time(fn, inner) {
	const start = performance.now()
	for (let i = 0; i < inner; i++) sink += fn() ? 1 : 0
	return ((performance.now() - start) * 1000) / inner
}

function runCase({ name, prev, next: nextJson, expected, inner, samples, warmup }) {
	const next = share(prev, nextJson)
	const diff = diffRecord(prev, next)
	const text = JSON.stringify(diff)
	if (text !== expected) return { name, error: `diffRecord gave ${text}, expected ${expected}` }
	if (!isEqual(applyObjectDiff(prev, diff), next)) {
		return { name, error: 'applyObjectDiff(prev, diff) is not next' }
	}
	const runDiff = () => diffRecord(prev, next)
	const runApply = () => applyObjectDiff(prev, diff)
	for (let i = 0; i < warmup; i++) sink += (runDiff() ? 1 : 0) + (runApply() ? 1 : 0)
	const result = { name, diff: [], apply: [] }
	for (let s = 0; s < samples; s++) {
		result.diff.push(time(runDiff, inner))
		result.apply.push(time(runApply, inner))
	}
	return result
}

const { cases } = readInput('node diff.mjs [--json] --input cases.json')
const results = cases.map(runCase)
if (process.argv.includes('--json')) {
	console.log(JSON.stringify({ node: process.version, version, sink: sink > 0, results }))
} else {
	for (const r of results) {
		if (r.error) console.log(`${r.name}: FAILED ${r.error}`)
		else
			console.log(
				`${r.name}: diffRecord ${median(r.diff).toFixed(3)} µs, applyObjectDiff ${median(r.apply).toFixed(3)} µs`
			)
	}
}
