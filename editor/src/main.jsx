// The page tlsync's server serves at /rooms/<room-id>: tldraw's own <Tldraw> editor, synced
// with the room by @tldraw/sync's useSync. Bundled by scripts/build-editor (esbuild) into
// tlsync_core/views/static/editor/editor.js; the server writes the page around it
// (tlsync_core/views/editor_bundle.py), with a JSON element #tlsync-editor-config:
//   {"roomId": "...", "readonly": false, "licenseKey": null}
//
// Every URL is derived from the page's own location, so that the page works wherever the server
// is mounted: the page is <prefix>/rooms/<room-id>, the room's websocket
// <prefix>/connect/<room-id> (ws: or wss: as the page is http: or https:), tldraw's assets
// (fonts, icons, translations, embed icons) <prefix>/static/editor/assets/. Nothing is fetched
// from tldraw's CDN. Once the editor is mounted, window.editor is the Editor.

import { getAssetUrls } from '@tldraw/assets/selfHosted'
import { useSync } from '@tldraw/sync'
import { StrictMode, useCallback, useEffect } from 'react'
import { createRoot } from 'react-dom/client'
import { Tldraw, inlineBase64AssetStore } from 'tldraw'
import { exportPage } from './export_page.js'

const config = JSON.parse(document.getElementById('tlsync-editor-config').textContent)

// the room's websocket: the page's query (an auth hook's token, readonly=1) goes along
const socketUrl = new URL('../connect/' + encodeURIComponent(config.roomId), location.href)
socketUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
socketUrl.search = location.search
for (const reserved of ['sessionId', 'storeId']) socketUrl.searchParams.delete(reserved) // (useSync's)
if (config.readonly) socketUrl.searchParams.set('readonly', '1')
socketUrl.hash = ''

const assetUrls = getAssetUrls({ baseUrl: new URL('../static/editor/assets/', location.href).href })

function Room() {
	const store = useSync({
		uri: socketUrl.href,
		roomId: config.roomId,
		// images and videos dropped into the room travel inside it, as data: URLs (the server
		// has no upload route)
		assets: inlineBase64AssetStore,
	})
	const onMount = useCallback((editor) => {
		if (config.readonly) editor.updateInstanceState({ isReadonly: true })
		window.editor = editor
		document.body.dataset.editor = 'mounted'
	}, [])
	if (store.status === 'error') return <RoomError error={store.error} />
	return (
		<Tldraw
			store={store}
			assetUrls={assetUrls}
			licenseKey={config.licenseKey ?? undefined}
			onMount={onMount}
		/>
	)
}

const ERROR_STYLE = { fontFamily: 'system-ui, sans-serif', margin: '3em auto', maxWidth: '40em' }

// the server refused the session (an auth hook's refusal, a full room, an old client...):
// say so, with the reason tldraw's sync client was given, instead of tldraw's crash screen
function RoomError({ error }) {
	const reason = error?.reason ?? String(error)
	useEffect(() => {
		document.body.dataset.editor = 'error'
	}, [])
	return (
		<div id="room-error" style={ERROR_STYLE}>
			<h1>Could not join the room</h1>
			<p>
				The server refused to sync the room {JSON.stringify(config.roomId)}: <code>{reason}</code>
			</p>
		</div>
	)
}

// (tlsync_client.export's export of a room: the mounted editor's picture of a page)
window.tlsyncExportPage = (options) => exportPage(window.editor, options)

createRoot(document.getElementById('tldraw-root')).render(
	<StrictMode>
		<Room />
	</StrictMode>
)
