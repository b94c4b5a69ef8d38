// Ops that run @tldraw/utils' fractional index generation, deterministically: the
// generateNKeysBetween that getIndicesBetween uses in tldraw's test mode (not exported, so it
// is imported from the package's file).

import { generateNKeysBetween } from '../node_modules/@tldraw/utils/dist-esm/lib/fractionalIndexing.mjs'

export const indicesOps = {
	// {cases: [[below, above, n]]} -> [[keys] | {error}]
	indicesBetween: ({ cases }) =>
		cases.map(([below, above, n]) => {
			try {
				return generateNKeysBetween(below, above, n)
			} catch (error) {
				return { error: String(error) }
			}
		}),
}
