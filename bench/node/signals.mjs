// The signals benchmark cases for @tldraw/state (Node side of `python -m bench.signals`).
//
// The same cases, sizes and checks as bench/signals_cases.py (see that file); keep the two in step.
//
//   node bench/node/signals.mjs                 # human-readable table
//   node bench/node/signals.mjs --json [opts]   # one JSON object on stdout
//
// Options: --cases a,b   --trials N   --trial-ms MS   --warmup-ms MS   --cellx-runs N
//          --cellx-warmup N
// Kairo cases: build once, warm up (>= 20 iter() calls and >= warmup-ms), pick a fixed number of
// iter() calls per trial so that a trial takes about trial-ms, then time `trials` trials and report
// ms per iter() for each. cellx: a fresh build per run (untimed), time the reads + update + reads.
// With `node --expose-gc`, a full GC is forced before each kairo trial. That is not the default:
// it promotes the whole graph to the old generation and made the steady state 20-30% slower
// (cellx: several times slower), so the harness runs without it, like the reference numbers.

import { performance } from 'node:perf_hooks'
import { atom, computed, react, transact } from '@tldraw/state'
import { errorText, median, parseOptions, reportHead, writeReport } from './common.mjs'

// ---------------------------------------------------------------------------------------------
// adapter (the js-reactivity-benchmark framework interface)
// ---------------------------------------------------------------------------------------------

function makeFramework() {
	const stops = []
	return {
		name: '@tldraw/state',
		signal(value) {
			const a = atom('signal', value)
			return { read: () => a.get(), write: (v) => a.set(v) }
		},
		computed(fn) {
			const c = computed('computed', () => fn())
			return { read: () => c.get() }
		},
		effect(fn) {
			stops.push(react('effect', () => fn()))
		},
		batch(fn) {
			transact(fn)
		},
		cleanup() {
			for (const stop of stops.splice(0)) stop()
		},
	}
}

class CaseFailed extends Error {}

function expect(what, actual, expected) {
	if (actual !== expected) {
		throw new CaseFailed(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
	}
}

function expectList(what, actual, expected) {
	if (actual.length !== expected.length || actual.some((v, i) => v !== expected[i])) {
		throw new CaseFailed(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
	}
}

// One effect that reads `node` and counts its runs in `counter.runs` (a new counter by default).
// Returns the counter.
function countedEffect(fw, node, counter = { runs: 0 }) {
	fw.effect(() => {
		node.read()
		counter.runs++
	})
	return counter
}

// A derivation that adds up the values of `nodes`.
function sumOf(nodes) {
	return () => {
		let sum = 0
		for (const node of nodes) sum += node.read()
		return sum
	}
}

// The iteration of the cases that drive one `head` signal. Write 1 to `head`, then write
// 0, 1, ... want.length - 1 to it, one batch each; after write i, `watched` must read want[i]. The
// effect runs counted in `counter` since the first write must total `effectRuns`. The checks are
// named "<case> <value>" and "<case> effect runs".
function headWrites(fw, head, watched, want, counter, { case: caseName, value, effectRuns }) {
	const valueLabel = `${caseName} ${value}`
	const runsLabel = `${caseName} effect runs`
	return () => {
		fw.batch(() => head.write(1))
		counter.runs = 0
		for (let i = 0; i < want.length; i++) {
			fw.batch(() => head.write(i))
			expect(valueLabel, watched.read(), want[i])
		}
		expect(runsLabel, counter.runs, effectRuns)
	}
}

// want[i] = f(i) for i in 0 .. n - 1
function table(n, f) {
	return Array.from({ length: n }, (_, i) => f(i))
}

function busy() {
	let a = 0
	for (let i = 0; i < 100; i++) a++
	return a
}

// ---------------------------------------------------------------------------------------------
// kairo cases
// ---------------------------------------------------------------------------------------------

function deepPropagation(fw, { length = 50, writes = 50 } = {}) {
	const head = fw.signal(0)
	let current = head
	for (let i = 0; i < length; i++) {
		const prev = current
		current = fw.computed(() => prev.read() + 1)
	}
	const counter = countedEffect(fw, current)
	const want = table(writes, (i) => length + i)
	return headWrites(fw, head, current, want, counter, { case: 'deepPropagation', value: 'end', effectRuns: writes })
}

function broadPropagation(fw, { width = 50, writes = 50 } = {}) {
	const head = fw.signal(0)
	const counter = { runs: 0 }
	let last = head
	for (let i = 0; i < width; i++) {
		const c1 = fw.computed(() => head.read() + i)
		const c2 = fw.computed(() => c1.read() + 1)
		countedEffect(fw, c2, counter)
		last = c2
	}
	const want = table(writes, (i) => i + width)
	const effectRuns = writes * width
	return headWrites(fw, head, last, want, counter, { case: 'broadPropagation', value: 'last', effectRuns })
}

function diamond(fw, { width = 5, writes = 500 } = {}) {
	const head = fw.signal(0)
	const branches = []
	for (let i = 0; i < width; i++) branches.push(fw.computed(() => head.read() + 1))
	const total = fw.computed(sumOf(branches))
	const counter = countedEffect(fw, total)
	const want = table(writes, (i) => (i + 1) * width)
	return headWrites(fw, head, total, want, counter, { case: 'diamond', value: 'sum', effectRuns: writes })
}

function triangle(fw, { width = 10, writes = 100 } = {}) {
	const head = fw.signal(0)
	const chain = [head]
	for (let i = 0; i < width - 1; i++) {
		const prev = chain[chain.length - 1]
		chain.push(fw.computed(() => prev.read() + 1))
	}
	const total = fw.computed(sumOf(chain))
	const counter = countedEffect(fw, total)
	const offset = (width * (width - 1)) / 2
	const want = table(writes, (i) => width * i + offset)
	return headWrites(fw, head, total, want, counter, { case: 'triangle', value: 'sum', effectRuns: writes })
}

function mux(fw, { size = 100, changes = 10 } = {}) {
	const heads = []
	for (let i = 0; i < size; i++) heads.push(fw.signal(0))
	const muxed = fw.computed(() => Object.fromEntries(heads.map((h) => h.read()).entries()))
	const split = []
	for (let i = 0; i < size; i++) {
		const pick = fw.computed(() => muxed.read()[i])
		split.push(fw.computed(() => pick.read() + 1))
	}
	const counter = { runs: 0 }
	for (const node of split) countedEffect(fw, node, counter)
	return () => {
		counter.runs = 0
		for (let i = 0; i < changes; i++) {
			fw.batch(() => heads[i].write(i))
			expect('mux split', split[i].read(), i + 1)
		}
		for (let i = 0; i < changes; i++) {
			fw.batch(() => heads[i].write(i * 2))
			expect('mux split', split[i].read(), i * 2 + 1)
		}
		expect('mux effect runs', counter.runs, 2 * (changes - 1))
	}
}

function repeatedObservers(fw, { size = 30, writes = 100 } = {}) {
	const head = fw.signal(0)
	const current = fw.computed(sumOf(Array(size).fill(head)))
	const counter = countedEffect(fw, current)
	const want = table(writes, (i) => size * i)
	return headWrites(fw, head, current, want, counter, { case: 'repeatedObservers', value: 'value', effectRuns: writes })
}

function unstable(fw, { reads = 20, writes = 100 } = {}) {
	const head = fw.signal(0)
	const double = fw.computed(() => head.read() * 2)
	const inverse = fw.computed(() => -head.read())
	const current = fw.computed(() => {
		let sum = 0
		for (let i = 0; i < reads; i++) sum += head.read() % 2 ? double.read() : inverse.read()
		return sum
	})
	const counter = countedEffect(fw, current)
	const want = table(writes, (i) => reads * (i % 2 ? 2 * i : -i))
	return headWrites(fw, head, current, want, counter, { case: 'unstable', value: 'value', effectRuns: writes })
}

function avoidablePropagation(fw, { writes = 1000 } = {}) {
	const head = fw.signal(0)
	const c1 = fw.computed(() => head.read())
	const c2 = fw.computed(() => {
		c1.read()
		return 0
	})
	let c3Runs = 0
	const c3 = fw.computed(() => {
		c3Runs++
		busy()
		return c2.read() + 1
	})
	const c4 = fw.computed(() => c3.read() + 2)
	const c5 = fw.computed(() => c4.read() + 3)
	let effectRuns = 0
	fw.effect(() => {
		c5.read()
		effectRuns++
		busy()
	})
	return () => {
		c3Runs = 0
		effectRuns = 0
		fw.batch(() => head.write(1))
		expect('avoidablePropagation c5', c5.read(), 6)
		for (let i = 0; i < writes; i++) {
			fw.batch(() => head.write(i))
			expect('avoidablePropagation c5', c5.read(), 6)
		}
		expect('avoidablePropagation c3 runs', c3Runs, 0)
		expect('avoidablePropagation effect runs', effectRuns, 0)
	}
}

function fib(n) {
	return n < 2 ? n : fib(n - 1) + fib(n - 2)
}

function hard(n) {
	return n + fib(16)
}

function molBench(fw) {
	const A = fw.signal(0)
	const B = fw.signal(0)
	const C = fw.computed(() => (A.read() % 2) + (B.read() % 2))
	const D = fw.computed(() => {
		const list = []
		for (let i = 0; i < 5; i++) list.push({ x: i + (A.read() % 2) - (B.read() % 2) })
		return list
	})
	const E = fw.computed(() => hard(C.read() + A.read() + D.read()[0].x))
	const F = fw.computed(() => hard(D.read()[2].x || B.read()))
	const G = fw.computed(() => C.read() + (C.read() || E.read() % 2) + D.read()[4].x + F.read())
	const sink = []
	fw.effect(() => sink.push(hard(G.read())))
	fw.effect(() => sink.push(G.read()))
	fw.effect(() => sink.push(hard(F.read())))
	let step = 0
	return () => {
		step++
		const i = step
		sink.length = 0
		fw.batch(() => {
			B.write(1)
			A.write(1 + i * 2)
		})
		fw.batch(() => {
			A.write(2 + i * 2)
			B.write(2)
		})
		expect('molBench G', G.read(), 994)
	}
}

const KAIRO_CASES = {
	deepPropagation,
	broadPropagation,
	diamond,
	triangle,
	mux,
	repeatedObservers,
	unstable,
	avoidablePropagation,
	molBench,
}

// ---------------------------------------------------------------------------------------------
// cellx
// ---------------------------------------------------------------------------------------------

function cellxExpected(layers) {
	const propagate = (p1, p2, p3, p4) => {
		for (let i = 0; i < layers; i++) [p1, p2, p3, p4] = [p2, p1 - p3, p2 + p4, p3]
		return [p1, p2, p3, p4]
	}
	return [propagate(1, 2, 3, 4), propagate(4, 3, 2, 1)]
}

function cellxBuild(fw, layers) {
	const sources = [1, 2, 3, 4].map((v) => fw.signal(v))
	let layer = sources
	for (let i = 0; i < layers; i++) {
		const [m1, m2, m3, m4] = layer
		const next = [
			fw.computed(() => m2.read()),
			fw.computed(() => m1.read() - m3.read()),
			fw.computed(() => m2.read() + m4.read()),
			fw.computed(() => m3.read()),
		]
		for (const node of next) fw.effect(() => node.read())
		layer = next
	}
	const end = layer
	const [s1, s2, s3, s4] = sources
	return () => {
		const before = end.map((n) => n.read())
		fw.batch(() => {
			s1.write(4)
			s2.write(3)
			s3.write(2)
			s4.write(1)
		})
		const after = end.map((n) => n.read())
		return [before, after]
	}
}

const CELLX_CASES = { cellx1000: 1000, cellx2500: 2500 }

// ---------------------------------------------------------------------------------------------
// measurement
// ---------------------------------------------------------------------------------------------

const collectGarbage = typeof globalThis.gc === 'function' ? globalThis.gc : () => {}

function measureKairo(build, opts) {
	const fw = makeFramework()
	try {
		const iterate = build(fw)
		// warm-up: at least 20 calls and warmup-ms, so the JIT has settled
		let calls = 0
		const t0 = performance.now()
		while (calls < 20 || performance.now() - t0 < opts.warmupMs) {
			iterate()
			calls++
		}
		const perIter = (performance.now() - t0) / calls
		const itersPerTrial = Math.max(1, Math.min(100000, Math.round(opts.trialMs / perIter)))
		const msPerIter = []
		for (let t = 0; t < opts.trials; t++) {
			collectGarbage()
			const start = performance.now()
			for (let k = 0; k < itersPerTrial; k++) iterate()
			msPerIter.push((performance.now() - start) / itersPerTrial)
		}
		return { kind: 'kairo', itersPerTrial, msPerIter }
	} finally {
		fw.cleanup()
	}
}

function measureCellx(layers, opts) {
	const [wantBefore, wantAfter] = cellxExpected(layers)
	const ms = []
	for (let r = 0; r < opts.cellxWarmup + opts.cellxRuns; r++) {
		const fw = makeFramework()
		try {
			const run = cellxBuild(fw, layers)
			const start = performance.now()
			const [before, after] = run()
			const elapsed = performance.now() - start
			expectList(`cellx${layers} before`, before, wantBefore)
			expectList(`cellx${layers} after`, after, wantAfter)
			if (r >= opts.cellxWarmup) ms.push(elapsed)
		} finally {
			fw.cleanup()
		}
	}
	return { kind: 'cellx', ms }
}

function parseArgs(argv) {
	const opts = {
		json: false,
		cases: [...Object.keys(KAIRO_CASES), ...Object.keys(CELLX_CASES)],
		trials: 7,
		trialMs: 100,
		warmupMs: 200,
		cellxRuns: 7,
		cellxWarmup: 3,
	}
	const numeric = {
		'--trials': 'trials',
		'--trial-ms': 'trialMs',
		'--warmup-ms': 'warmupMs',
		'--cellx-runs': 'cellxRuns',
		'--cellx-warmup': 'cellxWarmup',
	}
	parseOptions(argv, opts, { numeric, lists: { '--cases': 'cases' } })
	for (const name of opts.cases) {
		if (!(name in KAIRO_CASES) && !(name in CELLX_CASES)) throw new Error(`unknown case ${name}`)
	}
	return opts
}

function main() {
	const opts = parseArgs(process.argv.slice(2))
	const results = {}
	for (const name of opts.cases) {
		try {
			results[name] =
				name in KAIRO_CASES
					? measureKairo(KAIRO_CASES[name], opts)
					: measureCellx(CELLX_CASES[name], opts)
		} catch (err) {
			results[name] = { kind: 'error', error: errorText(err) }
		}
	}
	const report = {
		...reportHead('@tldraw/state'),
		gcExposed: typeof globalThis.gc === 'function',
		results,
	}
	if (writeReport(report, opts.json)) return
	for (const [name, r] of Object.entries(results)) {
		if (r.kind === 'error') console.log(`${name.padEnd(22)} FAILED ${r.error}`)
		else if (r.kind === 'kairo')
			console.log(`${name.padEnd(22)} ${median(r.msPerIter).toFixed(3)} ms/iter (${r.itersPerTrial} iter/trial)`)
		else console.log(`${name.padEnd(22)} ${median(r.ms).toFixed(3)} ms/update`)
	}
	if (Object.values(results).some((r) => r.kind === 'error')) process.exitCode = 1
}

main()
