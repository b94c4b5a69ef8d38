// What the Node sides of the benchmarks share (bench/node/*.mjs): the command line, the
// library's version, and the medians of the human-readable output.
import { readFileSync } from 'node:fs'

// The value after `name` on the command line (undefined if it is not there).
function argValue(name) {
	const i = process.argv.indexOf(name)
	return i === -1 ? undefined : process.argv[i + 1]
}

// The JSON file named by `--input`; without one, `usage` on stderr and exit status 2.
export function readInput(usage) {
	const path = argValue('--input')
	if (!path) {
		console.error(`usage: ${usage}`)
		process.exit(2)
	}
	return JSON.parse(readFileSync(path, 'utf8'))
}

// `opts` with the command line `argv` parsed into it: `--json`, the numbers of `numeric`
// (flag -> key of opts; non-negative, whole with `integers`) and the comma-separated lists
// of `lists` (flag -> key). Any other argument throws.
export function parseOptions(argv, opts, { numeric = {}, lists = {}, integers = false } = {}) {
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]
		if (arg === '--json') opts.json = true
		else if (arg in lists) opts[lists[arg]] = argv[++i].split(',').filter(Boolean)
		else if (arg in numeric) {
			const value = Number(argv[++i])
			const valid = integers ? Number.isInteger(value) : Number.isFinite(value)
			if (!valid || value < 0) throw new Error(`bad value for ${arg}`)
			opts[numeric[arg]] = value
		} else throw new Error(`unknown argument ${arg}`)
	}
	return opts
}

// The version of a package installed in bench/node/node_modules.
export function libraryVersion(pkg) {
	const url = new URL(`./node_modules/${pkg}/package.json`, import.meta.url)
	return JSON.parse(readFileSync(url, 'utf8')).version
}

// The head of a report: the library, its version and the runtime.
export function reportHead(library) {
	return { library, version: libraryVersion(library), runtime: `node ${process.version}` }
}

// An error as the reports give it: `<name>: <message>`.
export function errorText(err) {
	return `${err?.name ?? 'Error'}: ${err?.message ?? err}`
}

// Writes `report` as one JSON line if `json` (and returns true), or else its first line for
// humans (and returns false: the caller prints the rest).
export function writeReport(report, json) {
	if (json) {
		process.stdout.write(JSON.stringify(report) + '\n')
		return true
	}
	console.log(`${report.library} ${report.version} on ${report.runtime}`)
	return false
}

export function median(values) {
	const s = [...values].sort((a, b) => a - b)
	const m = s.length >> 1
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
