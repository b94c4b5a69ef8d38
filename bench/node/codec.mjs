// The codec benchmark's Node side (`python -m bench.protocol_codec`): JSON.stringify and
// JSON.parse of the same wire messages that tlsync serializes and parses.
//
//   node bench/node/codec.mjs --json --input cases.json
//
// The input file (written by bench/protocol_codec.py) is
//   {"cases": [{"name", "text", "inner", "samples", "warmup"}]}
// where `text` is tlsync's serialization of the message. For each case this script parses the
// text into the message object, checks that JSON.stringify gives back exactly `text` (so both
// sides time the same bytes), then takes `samples` timings of `inner` calls each of
// JSON.stringify(message) and of JSON.parse(text), after `warmup` untimed calls of each.
// It prints one JSON line: {"node", "results": [{"name", "identical", "stringify": [µs per
// call, ...], "parse": [...]}]}.

import { performance } from 'node:perf_hooks'
import { median, readInput } from './common.mjs'

let sink = 0

function time(fn, inner) {
	const start = performance.now()
	for (let i = 0; i < inner; i++) sink += fn()
	return ((performance.now() - start) * 1000) / inner
}

function runCase({ name, text, inner, samples, warmup }) {
	const message = JSON.parse(text)
	const identical = JSON.stringify(message) === text
	const stringify = () => JSON.stringify(message).length
	const parse = () => JSON.parse(text).type.length
	for (let i = 0; i < warmup; i++) sink += stringify() + parse()
	const result = { name, identical, stringify: [], parse: [] }
	for (let s = 0; s < samples; s++) {
		result.stringify.push(time(stringify, inner))
		result.parse.push(time(parse, inner))
	}
	return result
}

const { cases } = readInput('node codec.mjs [--json] --input cases.json')
const results = cases.map(runCase)
if (process.argv.includes('--json')) {
	console.log(JSON.stringify({ node: process.version, sink: sink > 0, results }))
} else {
	for (const r of results) {
		console.log(
			`${r.name}: stringify ${median(r.stringify).toFixed(3)} µs, parse ${median(r.parse).toFixed(3)} µs, identical ${r.identical}`
		)
	}
}
