// Ops that run @tldraw/sync-core 5.4.2's chunking (chunk.ts) and JavaScript's own JSON: checks
// for tlsync_core.protocol.chunking and tlsync_core.protocol.codec.
//
// Strings travel through the driver as JSON, so lone surrogates (which chunk() can produce when
// it cuts a character beyond U+FFFF in two) reach Python intact as \udxxx escapes.
//
// Batched: every op takes a list of cases and answers with a list, so that one round trip runs
// many cases.

import { JsonChunkAssembler, chunk } from '@tldraw/sync-core'

// what a handleMessage result says, in JSON: null (more chunks expected), {stringified} or
// {error: message}
function describe(result) {
	if (result === null) return null
	if ('error' in result) return { error: String(result.error?.message ?? result.error) }
	return { stringified: result.stringified }
}

export const chunkOps = {
	// {cases: [{text, max?}]} -> [chunk(text, max)] (max absent: tldraw's default)
	chunkMany: ({ cases }) => cases.map(({ text, max }) => chunk(text, max)),
	// {sequences: [[frame, ...]]} -> per sequence, one fresh JsonChunkAssembler's answer to
	// each frame: null, {stringified} or {error}; a throw (invalid JSON in a '{' frame) is
	// reported as {thrown: message}
	assembleMany: ({ sequences }) =>
		sequences.map((frames) => {
			const assembler = new JsonChunkAssembler()
			return frames.map((frame) => {
				try {
					return describe(assembler.handleMessage(frame))
				} catch (error) {
					return { thrown: String(error?.message ?? error) }
				}
			})
		}),
	// {texts: [json text]} -> [JSON.stringify(JSON.parse(text))] or {error} per text
	stringifyMany: ({ texts }) =>
		texts.map((text) => {
			try {
				return { json: JSON.stringify(JSON.parse(text)) }
			} catch (error) {
				return { error: String(error?.message ?? error) }
			}
		}),
}
