// tldraw's own picture of a page: what tlsync_client.export asks of an editor, in the room's
// page (editor.js, as window.tlsyncExportPage) and in the export page (export.js).
//   exportPage(editor, {format: 'svg' | 'png', pageId, background, padding, scale})
// -> {svg: text} | {png: base64} | {error: why}: the shapes of the page (the current one, or
// pageId), exported by the editor itself (getSvgString / toImage), its fonts embedded.

export async function exportPage(editor, { format, pageId, background, padding, scale }) {
	if (pageId !== null) {
		if (!editor.getPage(pageId)) return { error: `the room has no page ${pageId}` }
		editor.setCurrentPage(pageId)
	}
	const ids = [...editor.getCurrentPageShapeIds()]
	if (ids.length === 0) return { error: 'the page has no shapes: nothing to export' }
	const options = { background, padding }
	if (format === 'svg') {
		const result = await editor.getSvgString(ids, options)
		return { svg: result.svg }
	}
	const { blob } = await editor.toImage(ids, { ...options, format: 'png', scale, pixelRatio: 1 })
	const bytes = new Uint8Array(await blob.arrayBuffer())
	let text = ''
	for (let i = 0; i < bytes.length; i += 0x8000) {
		text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
	}
	return { png: btoa(text) }
}
