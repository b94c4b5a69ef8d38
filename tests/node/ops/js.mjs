// Ops that show how JavaScript itself sees a value: checks for tlsync_core.store.jsvalue and
// the URL parsing that tldraw's URL validators rely on.

// fn()'s result, or {error: "<Name>: <message>"} if it throws
function attempt(fn) {
	try {
		return fn()
	} catch (error) {
		return { error: String(error) }
	}
}

export const jsOps = {
	// {value?} -> {typeof, string: String(value) (or {error}), json: JSON.stringify(value) (absent if
	// undefined), keys: Object.keys(value) for objects and arrays}
	jsView: (payload) => {
		const value = payload.value
		const isObject = typeof value === 'object' && value !== null
		return {
			typeof: typeof value,
			string: attempt(() => String(value)),
			json: JSON.stringify(value),
			keys: isObject ? Object.keys(value) : null,
			length: typeof value === 'string' ? value.length : null,
		}
	},
	// {texts: [string], base?} -> [{ok, protocol}] for new URL(text[, base])
	parseUrls: ({ texts, base }) =>
		texts.map((text) => {
			try {
				const url = base === undefined ? new URL(text) : new URL(text, base)
				return { ok: true, protocol: url.protocol }
			} catch {
				return { ok: false, protocol: null }
			}
		}),
}
