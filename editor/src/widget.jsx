// The Jupyter editor widget (tlsync_client.editor_widget.EditorWidget): tldraw's own <Tldraw>,
// synced by @tldraw/sync's useSync over a kernel relay instead of a websocket.
//
// The browser may not reach the room's server (a remote kernel), so the tldraw client in the
// page talks to the kernel over the widget's comm, and the kernel relays each frame to the
// room on a websocket of its own. One relayed websocket is a "link", numbered by the page:
//   page -> kernel  {type: 'open', link, sessionId, storeId}   open a websocket to the room
//                   {type: 'frame', link, data}                 a text frame for the room
//                   {type: 'close', link}                       close that websocket
//   kernel -> page  {type: 'opened', link}                      the websocket is open
//                   {type: 'frame', link, data}                 a text frame from the room
//                   {type: 'closed', link, code, reason}        it closed (or never opened)
// KernelSocket is the client socket tldraw's TLSyncClient is given (useSync's `connect`): it
// reports online/offline/error as tldraw's ClientWebSocketAdapter does (close code 4099 is a
// sync error with its reason; any other close is offline, and it reconnects with backoff),
// chunks long messages as tldraw does, and drops frames of links it no longer follows.
//
// Every asset (fonts, icons, translations, embed icons) is bundled in this module: the widget
// makes no network request at all.

import { useSync } from '@tldraw/sync'
import { chunk } from '@tldraw/sync-core'
import { createElement, useEffect, useMemo } from 'react'
import { createRoot } from 'react-dom/client'
import { Tldraw, inlineBase64AssetStore } from 'tldraw'
import { localAssetUrls } from './local_assets.js'

const SYNC_ERROR_CLOSE_CODE = 4099
const FIRST_RETRY_MS = 250
const LAST_RETRY_MS = 5000

class KernelSocket {
	constructor(model, query) {
		this.model = model
		this.query = query
		this.link = 0
		this.status = 'offline'
		this.closed = false
		this.retryMs = FIRST_RETRY_MS
		this.retryTimer = null
		this.messageListeners = new Set()
		this.statusListeners = new Set()
		this.onKernelMessage = (message) => this.receive(message)
		model.on('msg:custom', this.onKernelMessage)
		this.open()
	}

	get connectionStatus() {
		return this.status
	}

	open() {
		this.link = nextLink()
		this.model.send({ type: 'open', link: this.link, ...this.query })
	}

	receive(message) {
		if (!message || message.link !== this.link || this.closed) return
		if (message.type === 'opened') {
			this.retryMs = FIRST_RETRY_MS
			this.setStatus({ status: 'online' })
		} else if (message.type === 'frame') {
			let parsed
			try {
				parsed = JSON.parse(message.data)
			} catch {
				this.restart() // a corrupt frame: rehydrate rather than drift out of sync
				return
			}
			for (const listener of this.messageListeners) listener(parsed)
		} else if (message.type === 'closed') {
			if (message.code === SYNC_ERROR_CLOSE_CODE) {
				this.setStatus({ status: 'error', reason: message.reason || 'UNKNOWN_ERROR' })
			} else {
				this.setStatus({ status: 'offline' })
			}
			this.scheduleReopen()
		}
	}

	scheduleReopen() {
		if (this.closed || this.retryTimer !== null) return
		this.link = 0 // (frames of the closed link are ignored from now on)
		this.retryTimer = setTimeout(() => {
			this.retryTimer = null
			if (!this.closed) this.open()
		}, this.retryMs)
		this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS)
	}

	setStatus(event) {
		if (event.status === this.status && event.status !== 'error') return
		if (event.status === 'error' && this.status === 'offline') return
		this.status = event.status
		for (const listener of this.statusListeners) listener(event)
	}

	sendMessage(message) {
		if (this.status !== 'online') {
			console.warn(`tlsync widget: a message was not sent while ${this.status}`)
			return
		}
		for (const part of chunk(JSON.stringify(message))) {
			this.model.send({ type: 'frame', link: this.link, data: part })
		}
	}

	onReceiveMessage(listener) {
		this.messageListeners.add(listener)
		return () => this.messageListeners.delete(listener)
	}

	onStatusChange(listener) {
		this.statusListeners.add(listener)
		return () => this.statusListeners.delete(listener)
	}

	restart() {
		if (this.closed) return
		this.closeLink()
		this.setStatus({ status: 'offline' })
		clearTimeout(this.retryTimer)
		this.retryTimer = null
		this.open()
	}

	closeLink() {
		if (this.link !== 0) this.model.send({ type: 'close', link: this.link })
		this.link = 0
	}

	close() {
		if (this.closed) return
		this.closeLink()
		this.closed = true
		clearTimeout(this.retryTimer)
		this.model.off('msg:custom', this.onKernelMessage)
		this.setStatus({ status: 'offline' })
	}
}

let lastLink = 0
function nextLink() {
	lastLink += 1
	return lastLink
}

function WidgetEditor({ model, assetUrls, onEditor }) {
	const connect = useMemo(() => (query) => new KernelSocket(model, query), [model])
	// (images and videos dropped in travel inside the room, as data: URLs)
	const store = useSync({ connect, assets: inlineBase64AssetStore })
	const readonly = model.get('readonly')
	const licenseKey = model.get('license_key') || undefined
	useEffect(() => () => onEditor(null), [onEditor])
	if (store.status === 'error') {
		return createElement('div', { className: 'tlsync-error' }, `sync error: ${store.error.message}`)
	}
	return createElement(Tldraw, {
		store,
		assetUrls,
		licenseKey,
		onMount: (editor) => {
			if (readonly) editor.updateInstanceState({ isReadonly: true })
			onEditor(editor)
		},
	})
}

function render({ model, el }) {
	const container = document.createElement('div')
	container.className = 'tlsync-editor-widget'
	container.style.position = 'relative'
	container.style.width = '100%'
	container.style.height = model.get('height')
	el.appendChild(container)
	const assets = localAssetUrls()
	const onEditor = (editor) => {
		// (the editor of the widget shown last, as tldraw's examples expose theirs)
		el.editor = editor
		if (editor) window.editor = editor
	}
	const root = createRoot(container)
	root.render(createElement(WidgetEditor, { model, assetUrls: assets.urls, onEditor }))
	const resize = () => {
		container.style.height = model.get('height')
	}
	model.on('change:height', resize)
	return () => {
		model.off('change:height', resize)
		root.unmount()
		assets.revoke()
	}
}

export default { render }
