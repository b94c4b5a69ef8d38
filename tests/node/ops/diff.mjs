// Ops that run @tldraw/sync-core 5.4.2's diff functions (diff.ts): checks for
// tlsync_core.protocol.diff.
//
// Every result is reported as {json: JSON.stringify(result)} (so that key order and number
// formatting reach Python exactly as node would put them on the wire), or as
// {error: "<Name>: <message>"} when the function throws. applyObjectDiff also reports
// whether it returned its input object itself ({same: true}): tldraw uses that identity as the
// "nothing changed" signal.
//
// The *Many variants take {cases: [payload, ...]} and answer with a list, so that one round trip
// runs thousands of cases.

import { applyObjectDiff, diffRecord, getNetworkDiff } from '@tldraw/sync-core'

function report(fn) {
	try {
		return { json: JSON.stringify(fn()) }
	} catch (error) {
		return { error: `${error?.name}: ${error?.message}` }
	}
}

// {prev, next, legacyAppendMode?}
function runDiffRecord({ prev, next, legacyAppendMode = false }) {
	return report(() => diffRecord(prev, next, legacyAppendMode))
}

// {object, diff}
function runApplyObjectDiff({ object, diff }) {
	let same = false
	const result = report(() => {
		const applied = applyObjectDiff(object, diff)
		same = applied === object
		return applied
	})
	return 'error' in result ? result : { ...result, same }
}

// {diff: {added: {id: record}, updated: {id: [from, to]}, removed: {id: record}}}
function runGetNetworkDiff({ diff }) {
	return report(() => getNetworkDiff(diff))
}

export const diffOps = {
	diffRecord: runDiffRecord,
	diffRecordMany: ({ cases }) => cases.map(runDiffRecord),
	applyObjectDiff: runApplyObjectDiff,
	applyObjectDiffMany: ({ cases }) => cases.map(runApplyObjectDiff),
	getNetworkDiff: runGetNetworkDiff,
	getNetworkDiffMany: ({ cases }) => cases.map(runGetNetworkDiff),
}
