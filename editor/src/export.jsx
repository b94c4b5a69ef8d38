// The export page of tlsync_client.export's export_svg/export_png of a store: no server, no
// room, no network. The page holds an empty container; window.tlsyncExportRecords(records,
// options) puts the records (a document: pages, shapes, bindings, assets) into a fresh tldraw
// Editor, as a sync client receives them, and has it export a page (export_page.js). Every
// asset is inside this module (local_assets.js): fonts are embedded from data: URLs.

import {
	Editor,
	createTLStore,
	defaultAddFontsFromNode,
	defaultBindingUtils,
	defaultShapeTools,
	defaultShapeUtils,
	defaultTools,
	tipTapDefaultExtensions,
} from 'tldraw'
import { exportPage } from './export_page.js'
import { localAssetUrls } from './local_assets.js'

const DOCUMENT_TYPES = new Set(['document', 'page', 'shape', 'binding', 'asset'])
const assets = localAssetUrls()

async function exportRecords(records, options) {
	const container = document.getElementById('tldraw-export')
	const store = createTLStore({ shapeUtils: defaultShapeUtils, bindingUtils: defaultBindingUtils })
	const editor = new Editor({
		store,
		shapeUtils: defaultShapeUtils,
		bindingUtils: defaultBindingUtils,
		tools: [...defaultTools, ...defaultShapeTools],
		getContainer: () => container,
		fontAssetUrls: assets.urls.fonts,
		options: {
			text: {
				addFontsFromNode: defaultAddFontsFromNode,
				tipTapConfig: { extensions: tipTapDefaultExtensions },
			},
		},
	})
	try {
		editor.store.mergeRemoteChanges(() => {
			editor.store.put(records.filter((record) => DOCUMENT_TYPES.has(record.typeName)))
		})
		editor.setCurrentPage(editor.getPages()[0].id) // (the editor made one if there was none)
		return await exportPage(editor, options)
	} finally {
		editor.dispose()
	}
}

window.tlsyncExportRecords = exportRecords
