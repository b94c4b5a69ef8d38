// tlsync live view: draws a page of a tldraw room as SVG and follows the room over the sync
// protocol (read-only). A dependency-free ES module for pages and anywidgets.
//
//   render(el, records, {pageId})        draw records (an object of id -> record, a Map, an array
//                                        or a room snapshot) into el
//   renderSvg(records, {pageId})         the SVG text
//   applyDiff(records, diff)             apply a protocol NetworkDiff to an id -> record object
//   applyObjectDiff(object, diff)        @tldraw/sync-core's applyObjectDiff (SPEC.md DF8, DF9)
//   connectLive(el, wsUrl, {pageId})     join a room read-only and keep el drawn
//   default export {render}              the LiveView anywidget (tlsync_core/views/widget.py)
//
// Serve it through tlsync_core/views/files.py, which fills in its constants.
//
// renderSvg is a line-by-line port of tlsync_core/views/render.py and must produce the same
// text byte for byte (tests/view/test_render_differential.py): change both together. What the
// renderer takes from the tldraw helpers (tlsync_core/tldraw/helpers) is ported function by
// function, named alike: geo outlines and line paths (geo_paths.py), text layout
// (text_layout.py), text shapes' boxes and rich text's paragraphs (text.py), draw strokes
// (freehand.py), the shape tree (tree.py), shapes' geometry and page bounds (shape_geometry.py,
// query.py's page_bounds), arrows' bodies and labels (arrow_geometry.py); and the page's records
// as those helpers read them (tlsync_core/views/source.py).

// -- constants: tldraw 5.4.2's default theme and sizes, and the renderer's own --------------------

// Handed over as JSON when the module is served (tlsync_core/views/files.py, generated from
// tlsync_core/tldraw/theme.py and render.py's modules): one copy of every number.
const TLDRAW = /*CONSTANTS*/ null
export const { THEME, PALETTE, STROKE_SIZES, FONT_SIZES, FONT_FAMILIES } = TLDRAW
export const { LABEL_FONT_SIZES, ARROW_LABEL_FONT_SIZES } = TLDRAW
const { LINE_HEIGHT, LABEL_PADDING, NOTE_SIZE, CHAR_WIDTH, PADDING, EMPTY_BOX } = TLDRAW
const { BEZIER_STEPS, ARC_SPACING, ARC_MIN_VERTICES, CLOUD_BUMP_SIZES, BUMP_PROTRUSION } = TLDRAW
const { SPLINE_TENSION, FONTS, PROP_RULES, ARROW, MIN_TEXT_WIDTH, DOT_SAMPLES } = TLDRAW
const { MAX_NUMBER } = TLDRAW
const HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/g
const NOT_ID = /[^A-Za-z0-9_-]/g
const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key)

// -- small helpers (each mirrors render.py) -------------------------------------------------------

export function fmt(value) {
	if (typeof value !== 'number' || !Number.isFinite(value)) return '0'
	const k = Math.floor(value * 100 + 0.5)
	if (k === 0) return '0'
	const sign = k < 0 ? '-' : ''
	const a = k < 0 ? -k : k
	const whole = Math.floor(a / 100)
	const frac = a - whole * 100
	if (frac === 0) return `${sign}${whole}`
	if (frac % 10 === 0) return `${sign}${whole}.${frac / 10}`
	return `${sign}${whole}.${String(frac).padStart(2, '0')}`
}

function esc(text) {
	return text
		.replace(CONTROL, '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
}

function num(value, fallback) {
	return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

function str(value, fallback) {
	return typeof value === 'string' ? value : fallback
}

function obj(value) {
	return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}
}

function isObj(value) {
	return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function get(object, key) {
	return has(object, key) ? object[key] : undefined
}

function size(table, value) {
	return typeof value === 'string' && has(table, value) ? table[value] : table.m
}

function color(name, variant) {
	if (typeof name === 'string') {
		if (has(PALETTE, name)) return PALETTE[name][variant]
		if (HEX.test(name)) return name
	}
	return PALETTE.black[variant]
}

function font(value) {
	if (typeof value === 'string' && has(FONT_FAMILIES, value)) return FONT_FAMILIES[value]
	return FONT_FAMILIES.draw
}

function cpLen(text) {
	let n = 0
	for (const _ of text) n++
	return n
}

function pt(p) {
	return `${fmt(p[0])} ${fmt(p[1])}`
}

function dashAttrs(dash, strokeWidth) {
	if (dash === 'dashed') {
		return ` stroke-dasharray="${fmt(strokeWidth * 2)} ${fmt(strokeWidth * 2)}"`
	}
	if (dash === 'dotted') return ` stroke-dasharray="0 ${fmt(strokeWidth * 2)}"`
	return ''
}

function strokeAttrs(stroke, strokeWidth, dash) {
	if (dash === 'none') return ' stroke="none"'
	return (
		` stroke="${stroke}" stroke-width="${fmt(strokeWidth)}" stroke-linecap="round"` +
		` stroke-linejoin="round"${dashAttrs(dash, strokeWidth)}`
	)
}

// -- matrices -------------------------------------------------------------------------------------

const IDENTITY = [1, 0, 0, 1, 0, 0]

function mul(m, n) {
	return [
		m[0] * n[0] + m[2] * n[1],
		m[1] * n[0] + m[3] * n[1],
		m[0] * n[2] + m[2] * n[3],
		m[1] * n[2] + m[3] * n[3],
		m[0] * n[4] + m[2] * n[5] + m[4],
		m[1] * n[4] + m[3] * n[5] + m[5],
	]
}

function apply(m, p) {
	return [m[0] * p[0] + m[2] * p[1] + m[4], m[1] * p[0] + m[3] * p[1] + m[5]]
}

function localMatrix(shape) {
	const x = num(get(shape, 'x'), 0)
	const y = num(get(shape, 'y'), 0)
	const rotation = num(get(shape, 'rotation'), 0)
	if (rotation === 0) return [1, 0, 0, 1, x, y]
	const c = Math.cos(rotation)
	const s = Math.sin(rotation)
	return [c, s, -s, c, x, y]
}

function transformAttr(shape) {
	let out = `translate(${fmt(num(get(shape, 'x'), 0))} ${fmt(num(get(shape, 'y'), 0))})`
	const rotation = num(get(shape, 'rotation'), 0)
	if (rotation !== 0) out += ` rotate(${fmt((rotation * 180) / Math.PI)})`
	return out
}

// -- rich text ------------------------------------------------------------------------------------

export function richTextLines(rich) {
	if (typeof rich === 'string') return rich.split('\n')
	const lines = []
	if (isObj(rich)) block(rich, '', lines, 0)
	return lines
}

function children(node) {
	const content = get(node, 'content')
	if (!Array.isArray(content)) return []
	return content.filter(isObj)
}

function inlineText(node, depth) {
	const kind = get(node, 'type')
	if (kind === 'text') return str(get(node, 'text'), '')
	if (kind === 'hardBreak') return '\n'
	if (depth > 64) return ''
	return children(node)
		.map((child) => inlineText(child, depth + 1))
		.join('')
}

const TEXT_BLOCKS = ['paragraph', 'heading', 'codeBlock', 'text', 'hardBreak']

function block(node, prefix, lines, depth) {
	if (depth > 64) return
	const kind = get(node, 'type')
	const indent = ' '.repeat(prefix.length)
	if (TEXT_BLOCKS.includes(kind)) {
		const parts = inlineText(node, depth).split('\n')
		parts.forEach((part, i) => lines.push((i === 0 ? prefix : indent) + part))
		return
	}
	if (kind === 'bulletList' || kind === 'orderedList') {
		const start = get(obj(get(node, 'attrs')), 'start')
		const first = Number.isInteger(start) ? start : 1
		children(node).forEach((item, i) => {
			const marker = kind === 'bulletList' ? '• ' : `${first + i}. `
			block(item, (i === 0 ? prefix : indent) + marker, lines, depth + 1)
		})
		return
	}
	children(node).forEach((child, i) => block(child, i === 0 ? prefix : indent, lines, depth + 1))
}

function shapeLines(props) {
	const lines = has(props, 'richText')
		? richTextLines(props.richText)
		: richTextLines(str(get(props, 'text'), ''))
	for (const line of lines) if (line !== '') return lines
	return []
}

// tlsync_core/tldraw/helpers/text_layout.py, function by function (tldraw's TextManager)

const METRICS = new Map()

function fontMetrics(style) {
	return parsedMetrics(has(FONTS, style) ? style : 'draw')
}

function parsedMetrics(style) {
	if (METRICS.has(style)) return METRICS.get(style)
	const data = FONTS[style]
	const advances = new Map()
	for (const item of String(data.advances).split(/\s+/).filter(Boolean)) {
		const [cp, width] = item.split(':')
		advances.set(String.fromCodePoint(parseInt(cp, 16)), parseInt(width, 10))
	}
	const kerning = new Map()
	for (const item of String(data.kerning).split(/\s+/).filter(Boolean)) {
		const [pair, value] = item.split(':')
		const [first, second] = pair.split('.').map((cp) => String.fromCodePoint(parseInt(cp, 16)))
		kerning.set(first + '\u0000' + second, parseInt(value, 10))
	}
	const letters = Array.from('abcdefghijklmnopqrstuvwxyz')
		.filter((c) => advances.has(c))
		.map((c) => advances.get(c))
	const average = letters.reduce((total, advance) => total + advance, 0) / letters.length
	const metrics = { unitsPerEm: parseInt(data.units_per_em, 10), advances, kerning, average }
	METRICS.set(style, metrics)
	return metrics
}

function textWidth(value, style, fontSize) {
	const metrics = fontMetrics(style)
	let units = 0
	let previous = ''
	for (const char of value) {
		units += metrics.advances.has(char) ? metrics.advances.get(char) : metrics.average
		const pair = previous + '\u0000' + char
		units += metrics.kerning.has(pair) ? metrics.kerning.get(pair) : 0
		previous = char
	}
	// browsers lay text out in 1/64 px units, rounding a run's width up
	return Math.ceil(((units * fontSize) / metrics.unitsPerEm) * 64) / 64
}

const LETTER = /^\p{L}$/u

function pieces(value) {
	const chars = Array.from(value)
	const result = []
	let start = 0
	chars.forEach((char, i) => {
		const following = i + 1 < chars.length ? chars[i + 1] : ''
		if ((char === ' ' && following !== ' ') || (char === '-' && LETTER.test(following))) {
			result.push(chars.slice(start, i + 1).join(''))
			start = i + 1
		}
	})
	if (start < chars.length) result.push(chars.slice(start).join(''))
	return result
}

function rstripSpaces(value) {
	return value.replace(/ +$/, '')
}

function splitWord(word, style, fontSize, room) {
	const letters = rstripSpaces(word)
	const parts = []
	let current = ''
	for (const char of letters) {
		if (current && textWidth(current + char, style, fontSize) > room) {
			parts.push(current)
			current = char
		} else {
			current += char
		}
	}
	return [...parts, current + word.slice(letters.length)]
}

function wrap(paragraph, style, fontSize, room) {
	const fits = (value) => textWidth(rstripSpaces(value), style, fontSize) <= room
	const lines = []
	let current = ''
	for (const piece of pieces(paragraph)) {
		if (fits(current + piece)) {
			current += piece
			continue
		}
		if (current) lines.push(current)
		if (fits(piece)) {
			current = piece
			continue
		}
		const split = splitWord(piece, style, fontSize, room)
		current = split.pop()
		lines.push(...split)
	}
	lines.push(current)
	return lines
}

// browsers' line height in whole pixels, rounded half to even as Python's round()
function lineHeight(fontSize) {
	const value = fontSize * LINE_HEIGHT
	const rounded = Math.round(value)
	return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded
}

function measure(paragraphs, style, fontSize, maxWidth) {
	// (no minimum width, words always break, no overflow flag: the views do not use them)
	const room = maxWidth === null ? Infinity : maxWidth
	const texts = paragraphs.length ? paragraphs : ['']
	const lines = texts.flatMap((paragraph) => wrap(paragraph, style, fontSize, room))
	const natural = Math.max(...texts.map((p) => textWidth(rstripSpaces(p), style, fontSize)))
	return { w: Math.min(natural, room), h: lines.length * lineHeight(fontSize), lines }
}

// tlsync_core/tldraw/helpers/text.py's text_wrap_width and text_box_size

function textWrapWidth(w, autoSize) {
	return autoSize ? null : Math.max(MIN_TEXT_WIDTH, Math.floor(w))
}

function textBoxSize(lines, style, fontSize, w, autoSize) {
	const fixed = textWrapWidth(w, autoSize)
	const box = measure(lines, style, fontSize, fixed)
	const width = fixed !== null ? fixed : Math.max(MIN_TEXT_WIDTH, box.w + 1)
	return [width, Math.max(fontSize, box.h)]
}

// tlsync_core/views/text.py's wrap (a name of its own here: wrap is text_layout's _wrap)
function wrapLines(lines, fontStyle, fontSize, width) {
	const box = measure(lines, str(fontStyle, 'draw'), fontSize, width)
	return box.lines.map(rstripSpaces)
}

function text(lines, { x, top, fontSize, family, fill, anchor, cls }) {
	const lh = fontSize * LINE_HEIGHT
	let out =
		`<text class="${cls}" x="${fmt(x)}" font-size="${fmt(fontSize)}" font-family="${family}"` +
		` fill="${fill}" text-anchor="${anchor}" dominant-baseline="central">`
	lines.forEach((line, i) => {
		if (line === '') return
		out += `<tspan x="${fmt(x)}" y="${fmt(top + lh * i + lh / 2)}">${esc(line)}</tspan>`
	})
	return out + '</text>'
}

function truncate(value, maxChars) {
	if (cpLen(value) <= maxChars) return value
	if (maxChars <= 1) return '…'
	return Array.from(value)
		.slice(0, maxChars - 1)
		.join('') + '…'
}

// -- draw shape points (5.4.2 b64 paths) ----------------------------------------------------------

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

// tldraw's lenient base64 decoding (b64Vecs' fallback, tlsync_core/tldraw/b64vecs.py): unknown
// characters count as 'A', characters past the last full group (unpadded) are ignored; a
// negative length throws a RangeError
function b64Bytes(value) {
	let padding = 0
	if (value.endsWith('=')) padding = value.length > 1 && value[value.length - 2] === '=' ? 2 : 1
	const bytes = new Uint8Array(Math.floor((value.length * 3) / 4) - padding)
	const full = Math.floor((value.length - padding) / 4) * 4
	const sextet = (i) => Math.max(0, BASE64.indexOf(value.charAt(i)))
	let j = 0
	const put = (bitmap, count) => {
		for (let k = 0; k < count; k++) if (j < bytes.length) bytes[j++] = (bitmap >> (16 - 8 * k)) & 255
	}
	for (let i = 0; i < full; i += 4) {
		put((sextet(i) << 18) | (sextet(i + 1) << 12) | (sextet(i + 2) << 6) | sextet(i + 3), 3)
	}
	if (padding === 1) put((sextet(full) << 18) | (sextet(full + 1) << 12) | (sextet(full + 2) << 6), 2)
	if (padding === 2) put((sextet(full) << 18) | (sextet(full + 1) << 12), 1)
	return bytes
}

const POW2 = []
{
	let p = 1
	for (let i = 0; i < 15; i++) p /= 2
	for (let i = 0; i < 31; i++) {
		POW2.push(p)
		p *= 2
	}
}

function float16(view, offset) {
	const bits = view.getUint16(offset, true)
	const sign = bits >> 15
	const exp = (bits >> 10) & 0x1f
	const frac = bits & 0x3ff
	let magnitude
	if (exp === 0) magnitude = (frac / 1024) * POW2[1]
	else if (exp === 31) return frac ? NaN : sign ? -Infinity : Infinity
	else magnitude = POW2[exp] * (1 + frac / 1024)
	return sign ? -magnitude : magnitude
}

// b64Vecs' decodePoints (or, for a legacy string, legacyDecodePoints), as [x, y] pairs
function b64Points(value, dim, legacy) {
	const data = b64Bytes(value)
	const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
	const points = []
	if (legacy) {
		for (let offset = 0; offset < data.length; offset += 6) {
			float16(view, offset + 4) // (the pressure: a truncated point throws, as in tldraw)
			points.push([float16(view, offset), float16(view, offset + 2)])
		}
		return points
	}
	const twoD = dim === 2
	let x = view.getFloat32(0, true)
	let y = view.getFloat32(4, true)
	if (!twoD) view.getFloat32(8, true)
	points.push([x, y])
	for (let offset = twoD ? 8 : 12; offset < data.length; offset += twoD ? 4 : 6) {
		x += float16(view, offset)
		y += float16(view, offset + 2)
		if (!twoD) float16(view, offset + 4)
		points.push([x, y])
	}
	return points
}

/** The points of a draw/highlight segment (as render.py's decode_points): tldraw's b64Vecs
 * decoding of `path` or of a legacy `points` string, none where it throws; or a points list. */
export function decodePoints(segment) {
	if (!isObj(segment)) return []
	const path = get(segment, 'path')
	const legacy = get(segment, 'points')
	if (Array.isArray(legacy) && typeof path !== 'string') {
		return legacy.filter(isObj).map((p) => [num(get(p, 'x'), 0), num(get(p, 'y'), 0)])
	}
	try {
		if (typeof path === 'string') return path ? b64Points(path, get(segment, 'dim'), false) : []
		if (typeof legacy === 'string') return b64Points(legacy, null, true)
	} catch (error) {
		if (!(error instanceof RangeError)) throw error
	}
	return []
}

// tlsync_core/tldraw/helpers/freehand.py, function by function (tldraw's draw geometry)

function easeInOutCubic(t) {
	return t < 0.5 ? 4 * t * t * t : (t - 1) * (2 * t - 2) * (2 * t - 2) + 1
}

function segmentPoints(points, straight) {
	if (!straight || points.length < 2) return points
	const a = points[0]
	const d = points[1]
	const dx = d[0] - a[0]
	const dy = d[1] - a[1]
	const dist = Math.sqrt(dx * dx + dy * dy)
	if (dist === 0) return [a]
	const ux = dx / dist
	const uy = dy / dist
	const nudge = Math.min(1, Math.floor(dist / 4))
	const b = [a[0] + ux * nudge, a[1] + uy * nudge]
	const c = [d[0] - ux * nudge, d[1] - uy * nudge]
	const count = Math.max(4, Math.floor(dist / 16))
	const between = []
	for (let i = 0; i < count; i++) {
		const t = easeInOutCubic(i / (count - 1))
		between.push([b[0] + (c[0] - b[0]) * t, b[1] + (c[1] - b[1]) * t])
	}
	return [a, ...between, d]
}

function modulate(value, low, high, toLow, toHigh) {
	const result = toLow + ((value - low) / (high - low)) * (toHigh - toLow)
	return Math.max(Math.min(result, toHigh), toLow)
}

function strokePoints(raw, sizeValue, streamline, last) {
	if (!raw.length) return []
	const t = 0.15 + (1 - streamline) * 0.85
	const minDist2 = (sizeValue / 3) ** 2
	const first = raw[0]
	let start = 1
	while (start < raw.length) {
		const dx = raw[start][0] - first[0]
		const dy = raw[start][1] - first[1]
		if (dx * dx + dy * dy > minDist2) break
		start++
	}
	let staged = [[first[0], first[1]], ...raw.slice(start).map((p) => [p[0], p[1]])]
	if (staged.length > 1) {
		const [lastX, lastY] = staged[staged.length - 1]
		let j = staged.length - 2
		while (j >= 0) {
			const dx = staged[j][0] - lastX
			const dy = staged[j][1] - lastY
			if (dx * dx + dy * dy > minDist2) break
			j--
		}
		if (j < staged.length - 2) staged = [...staged.slice(0, j + 1), [lastX, lastY]]
	}
	if (streamline > 0) staged.push(staged[staged.length - 1])
	const points = [staged[0]]
	let total = 0
	let [prevX, prevY] = staged[0]
	const u = 1 - t
	for (let i = 1; i < staged.length; i++) {
		const [sx, sy] = staged[i]
		let x
		let y
		if (!t || (last && i === staged.length - 1)) {
			x = sx
			y = sy
		} else {
			x = sx + (prevX - sx) * u
			y = sy + (prevY - sy) * u
		}
		if (Math.abs(prevX - x) < 0.0001 && Math.abs(prevY - y) < 0.0001) continue
		total += Math.hypot(x - prevX, y - prevY)
		if (i < 4 && total < sizeValue) continue
		points.push([x, y])
		prevX = x
		prevY = y
	}
	return points
}

function dotCircle(x, y, radius) {
	const points = []
	for (let i = 0; i < DOT_SAMPLES; i++) {
		points.push([
			x + radius + radius * Math.cos((TAU * i) / DOT_SAMPLES),
			y + radius + radius * Math.sin((TAU * i) / DOT_SAMPLES),
		])
	}
	return points
}

function freehandOutline(raw, { sizeValue, scale, segments, isPen, isComplete, isClosed }) {
	const width = (sizeValue + 1) * scale
	if (segments === 1 && raw.length) {
		const xs = raw.map((p) => p[0])
		const ys = raw.map((p) => p[1])
		const spanX = Math.max(...xs) - Math.min(...xs)
		const spanY = Math.max(...ys) - Math.min(...ys)
		if (spanX < width * 2 && spanY < width * 2) return [dotCircle(-width, -width, width), true]
	}
	const streamline = isPen ? 0.62 : modulate(width, 9, 16, 0.64, 0.74)
	const points = strokePoints(raw, width, streamline, isComplete || isPen)
	if (isClosed && points.length > 2) return [points, true]
	if (points.length === 1) return [dotCircle(-width, -width, width), true]
	return [points, false]
}

// -- geometry -------------------------------------------------------------------------------------

// tlsync_core/tldraw/helpers/geo_paths.py, function by function (tldraw's getGeoShapePath)

const TAU = Math.PI * 2

function polygonVertices(w, h, sides) {
	const cx = w / 2
	const cy = h / 2
	const points = []
	for (let i = 0; i < sides; i++) {
		points.push([
			cx + cx * Math.cos(-Math.PI / 2 + (i * TAU) / sides),
			cy + cy * Math.sin(-Math.PI / 2 + (i * TAU) / sides),
		])
	}
	const xs = points.map((p) => p[0])
	const ys = points.map((p) => p[1])
	const minX = Math.min(...xs)
	const minY = Math.min(...ys)
	const bw = Math.max(...xs) - minX
	const bh = Math.max(...ys) - minY
	if ((bw === w && bh === h) || bw === 0 || bh === 0) return points
	return points.map(([x, y]) => [((x - minX) / bw) * w, ((y - minY) / bh) * h])
}

function starVertices(w, h) {
	const sides = 5
	const step = TAU / sides / 2
	const right = 2
	const left = 8
	const bottom = 4
	const maxX = (Math.cos(-Math.PI / 2 + right * step) * w) / 2
	const minX = (Math.cos(-Math.PI / 2 + left * step) * w) / 2
	const minY = (Math.sin(-Math.PI / 2) * h) / 2
	const maxY = (Math.sin(-Math.PI / 2 + bottom * step) * h) / 2
	const diffX = w - Math.abs(maxX - minX)
	const diffY = h - Math.abs(maxY - minY)
	const offsetX = w / 2 + minX - (w / 2 - maxX)
	const offsetY = h / 2 + minY - (h / 2 - maxY)
	const cx = (w - offsetX) / 2
	const cy = (h - offsetY) / 2
	const ox = (w + diffX) / 2
	const oy = (h + diffY) / 2
	const points = []
	for (let i = 0; i < sides * 2; i++) {
		points.push([
			cx + (i % 2 ? ox / 2 : ox) * Math.cos(-Math.PI / 2 + i * step),
			cy + (i % 2 ? oy / 2 : oy) * Math.sin(-Math.PI / 2 + i * step),
		])
	}
	return points
}

function bezier(a, b, c, d, steps) {
	const result = []
	for (let i = 0; i < steps + 1; i++) {
		const t = i / steps
		const u = 1 - t
		result.push([
			u * u * u * a[0] + 3 * u * u * t * b[0] + 3 * u * t * t * c[0] + t * t * t * d[0],
			u * u * u * a[1] + 3 * u * u * t * b[1] + 3 * u * t * t * c[1] + t * t * t * d[1],
		])
	}
	return result
}

function arc(start, rx, ry, end, sweep) {
	const [x1, y1] = start
	const [x2, y2] = end
	const dx = (x1 - x2) / 2
	const dy = (y1 - y2) / 2
	rx = Math.abs(rx)
	ry = Math.abs(ry)
	const scale = (dx * dx) / (rx * rx) + (dy * dy) / (ry * ry)
	if (scale > 1) {
		rx = rx * Math.sqrt(scale)
		ry = ry * Math.sqrt(scale)
	}
	const sign = sweep ? 1 : -1 // a small arc
	const term = rx * rx * ry * ry - rx * rx * dy * dy - ry * ry * dx * dx
	const radicand = Math.max(0, term / (rx * rx * dy * dy + ry * ry * dx * dx))
	const coef = sign * Math.sqrt(radicand)
	const cxp = coef * ((rx * dy) / ry)
	const cyp = coef * (-(ry * dx) / rx)
	const cx = cxp + (x1 + x2) / 2
	const cy = cyp + (y1 + y2) / 2
	const begin = Math.atan2((dy - cyp) / ry, (dx - cxp) / rx)
	let finish = Math.atan2((-dy - cyp) / ry, (-dx - cxp) / rx)
	if (!sweep && finish > begin) finish -= TAU
	else if (sweep && finish < begin) finish += TAU
	const turn = finish - begin
	const segments = Math.min(4, Math.ceil(Math.abs(turn) / (Math.PI / 2)))
	const length = Math.max(rx, ry) * Math.abs(turn)
	const steps = Math.ceil(Math.max(ARC_MIN_VERTICES, Math.ceil(length / ARC_SPACING)) / segments)
	const at = (angle) => [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)]
	const slope = (angle) => [-rx * Math.sin(angle), ry * Math.cos(angle)]
	const points = []
	for (let i = 0; i < segments; i++) {
		const t1 = begin + (i * turn) / segments
		const t2 = begin + ((i + 1) * turn) / segments
		const handle = (4 / 3) * Math.tan((t2 - t1) / 4)
		const p1 = at(t1)
		const p2 = at(t2)
		const d1 = slope(t1)
		const d2 = slope(t2)
		const c1 = [p1[0] + handle * d1[0], p1[1] + handle * d1[1]]
		const c2 = [p2[0] - handle * d2[0], p2[1] - handle * d2[1]]
		points.push(...bezier(p1, c1, c2, p2, steps))
	}
	return points
}

function dedupe(points) {
	const result = []
	for (const point of points) {
		const last = result[result.length - 1]
		if (
			result.length === 0 ||
			Math.abs(last[0] - point[0]) >= 0.0001 ||
			Math.abs(last[1] - point[1]) >= 0.0001
		) {
			result.push(point)
		}
	}
	return result
}

function stadium(w, h) {
	if (h > w) {
		const r = w / 2
		return [...arc([0, r], r, r, [w, r], true), ...arc([w, h - r], r, r, [0, h - r], true)]
	}
	const r = h / 2
	return [...arc([r, h], r, r, [r, 0], true), ...arc([w - r, 0], r, r, [w - r, h], true)]
}

function heart(w, h) {
	const cx = w / 2
	const o = w / 4
	const k = h / 4
	return [
		...bezier([cx, h], [o * 1.5, k * 3], [0, k * 2.5], [0, k * 1.2], BEZIER_STEPS),
		...bezier([0, k * 1.2], [0, -k * 0.32], [o * 1.85, -k * 0.32], [cx, k * 0.9], BEZIER_STEPS),
		...bezier([cx, k * 0.9], [o * 2.15, -k * 0.32], [w, -k * 0.32], [w, k * 1.2], BEZIER_STEPS),
		...bezier([w, k * 1.2], [w, k * 2.5], [o * 2.5, k * 3], [cx, h], BEZIER_STEPS),
	]
}

function straightVertices(geo, w, h) {
	const o = Math.min(w * 0.38, h * 0.38)
	const ox = Math.min(w, h) * 0.38
	const oy = h * 0.16
	const ux = w * 0.16
	const uy = Math.min(w, h) * 0.38
	const corners = {
		triangle: [[w / 2, 0], [w, h], [0, h]],
		diamond: [[w / 2, 0], [w, h / 2], [w / 2, h], [0, h / 2]],
		rhombus: [[o, 0], [w, 0], [w - o, h], [0, h]],
		'rhombus-2': [[0, 0], [w - o, 0], [w, h], [o, h]],
		trapezoid: [[o, 0], [w - o, 0], [w, h], [0, h]],
		'arrow-right': [
			[0, oy], [w - ox, oy], [w - ox, 0], [w, h / 2], [w - ox, h], [w - ox, h - oy],
			[0, h - oy],
		],
		'arrow-left': [
			[ox, 0], [ox, oy], [w, oy], [w, h - oy], [ox, h - oy], [ox, h], [0, h / 2],
		],
		'arrow-up': [
			[w / 2, 0], [w, uy], [w - ux, uy], [w - ux, h], [ux, h], [ux, uy], [0, uy],
		],
		'arrow-down': [
			[ux, 0], [w - ux, 0], [w - ux, h - uy], [w, h - uy], [w / 2, h], [0, h - uy],
			[ux, h - uy],
		],
	} // prettier-ignore
	if (has(corners, geo)) return corners[geo]
	const sides = { pentagon: 5, hexagon: 6, octagon: 8 }
	if (has(sides, geo)) return polygonVertices(w, h, sides[geo])
	if (geo === 'star') return starVertices(w, h)
	if (geo === 'ellipse' || geo === 'oval' || geo === 'heart' || geo === 'cloud') return null
	return [[0, 0], [w, 0], [w, h], [0, h]]
}

function seededRandom(seed) {
	let x = 0
	let y = 0
	let z = 0
	let w = 0
	function step() {
		const t = x ^ (x << 11)
		x = y
		y = z
		z = w
		w ^= ((w >>> 19) ^ t ^ (t >>> 8)) >>> 0
		return (w / 0x100000000) * 2
	}
	for (let k = 0; k < seed.length + 64; k++) {
		x ^= seed.charCodeAt(k) | 0
		step()
	}
	return step
}

function stadiumPerimeter(w, h) {
	if (w > h) return (Math.PI * (h / 2) + (w - h)) * 2
	return (Math.PI * (w / 2) + (h - w)) * 2
}

function pillPoints(width, height, count) {
	const radius = Math.min(width, height) / 2
	const longSide = Math.max(width, height) - radius * 2
	const spacing = (Math.PI * radius * 2 + 2 * longSide) / count
	// sections: ['line', start, direction] or ['arc', center, start angle]
	const sections =
		width > height
			? [
					['line', [radius, 0], [1, 0]],
					['arc', [width - radius, radius], -Math.PI / 2],
					['line', [width - radius, height], [-1, 0]],
					['arc', [radius, radius], Math.PI / 2],
				]
			: [
					['line', [width, radius], [0, 1]],
					['arc', [radius, height - radius], 0],
					['line', [0, height - radius], [0, -1]],
					['arc', [radius, radius], Math.PI],
				]
	const sectionLength = () => (sections[0][0] === 'line' ? longSide : Math.PI * radius)
	let offset = 0
	const points = []
	for (let n = 0; n < count; n++) {
		const [kind, origin, along] = sections[0]
		if (kind === 'line') {
			points.push([origin[0] + along[0] * offset, origin[1] + along[1] * offset])
		} else {
			const angle = along + offset / radius
			points.push([origin[0] + Math.cos(angle) * radius, origin[1] + Math.sin(angle) * radius])
		}
		offset += spacing
		while (offset > sectionLength()) {
			offset -= sectionLength()
			sections.push(sections.shift())
		}
	}
	return points
}

function cloud(width, height, seed, sizeName, scale) {
	const random = seededRandom(seed)
	const perimeter = stadiumPerimeter(width, height)
	const bumpSize = has(CLOUD_BUMP_SIZES, sizeName) ? CLOUD_BUMP_SIZES[sizeName] : CLOUD_BUMP_SIZES.m
	const bumps = Math.max(
		Math.ceil(perimeter / bumpSize),
		6,
		Math.ceil(perimeter / Math.min(width, height))
	)
	const protrusion = (perimeter / bumps) * BUMP_PROTRUSION
	const innerW = Math.max(width - protrusion * 2, 1)
	const innerH = Math.max(height - protrusion * 2, 1)
	const spacing = stadiumPerimeter(innerW, innerH) / bumps
	const padX = (width - innerW) / 2
	const padY = (height - innerH) / 2
	const base = pillPoints(innerW, innerH, bumps).map(([x, y]) => [x + padX, y + padY])
	const wiggleX = width < 20 ? 0 : protrusion * 0.3
	const wiggleY = height < 20 ? 0 : protrusion * 0.3
	const wiggled = base.slice()
	for (let i = 0; i < Math.floor(bumps / 2); i++) {
		for (const j of [i, bumps - i - 1]) {
			const dx = random() * wiggleX * scale
			const dy = random() * wiggleY * scale
			wiggled[j] = [wiggled[j][0] + dx, wiggled[j][1] + dy]
		}
	}
	const vertices = []
	for (let i = 0; i < bumps; i++) {
		const j = i === bumps - 1 ? 0 : i + 1
		const left = base[i]
		const right = base[j]
		const apart = Math.hypot(right[0] - left[0], right[1] - left[1])
		const curvature = spacing - apart
		const wiggleApart = Math.hypot(wiggled[j][0] - wiggled[i][0], wiggled[j][1] - wiggled[i][1])
		const reach = (Math.max(padX, padY) + curvature) * (wiggleApart / apart)
		const ux = (right[0] - left[0]) / apart
		const uy = (right[1] - left[1]) / apart
		const apex = [
			Math.min(Math.max((left[0] + right[0]) / 2 + uy * reach, 0), width),
			Math.min(Math.max((left[1] + right[1]) / 2 - ux * reach, 0), height),
		]
		const center = circleCenter(wiggled[i], wiggled[j], apex) ?? [
			(wiggled[i][0] + wiggled[j][0]) / 2,
			(wiggled[i][1] + wiggled[j][1]) / 2,
		]
		const radius = Math.hypot(center[0] - wiggled[i][0], center[1] - wiggled[i][1])
		vertices.push(...arc(wiggled[i], radius, radius, wiggled[j], true))
	}
	return vertices
}

function circleCenter(a, b, c) {
	const u = -2 * (a[0] * (b[1] - c[1]) - a[1] * (b[0] - c[0]) + b[0] * c[1] - c[0] * b[1])
	if (u === 0) return null
	const [sa, sb, sc] = [a, b, c].map((p) => p[0] * p[0] + p[1] * p[1])
	const x = (sa * (c[1] - b[1]) + sb * (a[1] - c[1]) + sc * (b[1] - a[1])) / u
	const y = (sa * (b[0] - c[0]) + sb * (c[0] - a[0]) + sc * (a[0] - b[0])) / u
	return Number.isFinite(x) && Number.isFinite(y) ? [x, y] : null
}

function geoVertices(geo, w, h, shapeId, sizeName, scale) {
	w = Math.max(1, w)
	h = Math.max(1, h)
	const straight = straightVertices(geo, w, h)
	if (straight !== null) return straight
	if (geo === 'ellipse') {
		const cx = w / 2
		const cy = h / 2
		const top = arc([0, cy], cx, cy, [w, cy], true)
		return dedupe([...top, ...arc([w, cy], cx, cy, [0, cy], true)])
	}
	if (geo === 'oval') return dedupe(stadium(w, h))
	if (geo === 'heart') return dedupe(heart(w, h))
	return dedupe(cloud(w, h, shapeId, sizeName, scale))
}

function lineVertices(points, spline) {
	if (spline !== 'cubic' || points.length < 2) return points
	const k = SPLINE_TENSION
	const last = points.length - 2
	const vertices = []
	for (let i = 0; i < points.length - 1; i++) {
		const p0 = i === 0 ? points[0] : points[i - 1]
		const p1 = points[i]
		const p2 = points[i + 1]
		const p3 = i === last ? p2 : points[i + 2]
		const cp1 =
			i === 0 ? p0 : [p1[0] + ((p2[0] - p0[0]) / 6) * k, p1[1] + ((p2[1] - p0[1]) / 6) * k]
		const cp2 =
			i === last ? p2 : [p2[0] - ((p3[0] - p1[0]) / 6) * k, p2[1] - ((p3[1] - p1[1]) / 6) * k]
		vertices.push(...bezier(p1, cp1, cp2, p2, BEZIER_STEPS))
	}
	return dedupe(vertices)
}

function polygonD(points) {
	if (points.length === 0) return ''
	return 'M' + points.map(pt).join(' L') + ' Z'
}

function polylineLength(points) {
	let total = 0
	for (let i = 1; i < points.length; i++) {
		const dx = points[i][0] - points[i - 1][0]
		const dy = points[i][1] - points[i - 1][1]
		total += Math.sqrt(dx * dx + dy * dy)
	}
	return total
}

function unit(dx, dy) {
	const length = Math.sqrt(dx * dx + dy * dy)
	if (length === 0) return [1, 0]
	return [dx / length, dy / length]
}

function smoothD(points) {
	const n = points.length
	if (n === 0) return ''
	if (n === 1) return `M${pt(points[0])} L${pt(points[0])}`
	if (n === 2) return `M${pt(points[0])} L${pt(points[1])}`
	let d = `M${pt(points[0])}`
	for (let i = 1; i < n - 1; i++) {
		const a = points[i]
		const b = points[i + 1]
		d += ` Q${pt(a)} ${pt([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2])}`
	}
	return d + ` L${pt(points[n - 1])}`
}

function lineD(points) {
	if (points.length === 0) return ''
	if (points.length === 1) return `M${pt(points[0])} L${pt(points[0])}`
	return 'M' + points.map(pt).join(' L')
}

function boundsOf(points) {
	let minX = Infinity
	let minY = Infinity
	let maxX = -Infinity
	let maxY = -Infinity
	for (const p of points) {
		minX = Math.min(minX, p[0])
		minY = Math.min(minY, p[1])
		maxX = Math.max(maxX, p[0])
		maxY = Math.max(maxY, p[1])
	}
	if (minX === Infinity) return null
	return [minX, minY, maxX, maxY]
}

function boxPoints(box) {
	return [
		[box[0], box[1]],
		[box[2], box[1]],
		[box[2], box[3]],
		[box[0], box[3]],
	]
}

// -- the renderer ---------------------------------------------------------------------------------

/** Records by id from a Map, an array, a room snapshot or an object of id -> record. */
export function recordsOf(source) {
	let items
	if (source instanceof Map) items = [...source.values()]
	else if (Array.isArray(source)) items = source
	else if (isObj(source)) {
		const documents = get(source, 'documents')
		items = Array.isArray(documents)
			? documents.map((doc) => get(obj(doc), 'state'))
			: Object.values(source)
	} else items = []
	const out = {}
	for (const record of items) {
		if (isObj(record) && typeof get(record, 'id') === 'string') out[record.id] = record
	}
	return out
}

function compareStrings(a, b) {
	return a < b ? -1 : a > b ? 1 : 0
}

function orderCompare(a, b) {
	const byIndex = compareStrings(str(get(a, 'index'), ''), str(get(b, 'index'), ''))
	return byIndex || compareStrings(a.id, b.id)
}

function pushTo(map, key, value) {
	if (!map.has(key)) map.set(key, [])
	map.get(key).push(value)
}

// -- the records as the helpers read them ---------------------------------------------------------

// tlsync_core/views/source.py: readable and PageSource

// (type_to_string of tlsync_core/store/jsvalue.py, numbers at most MAX_NUMBER in magnitude)
function jsonKind(value) {
	if (value === null) return 'null'
	if (Array.isArray(value)) return 'an array'
	if (isObj(value)) return 'an object'
	if (typeof value === 'boolean') return 'a boolean'
	if (typeof value === 'number') return Math.abs(value) <= MAX_NUMBER ? 'a number' : 'bad'
	if (typeof value === 'string') return 'a string'
	return 'undefined'
}

function readableNumber(value, fallback) {
	return jsonKind(value) === 'a number' ? value : fallback
}

function readableProp(value, rule) {
	const fallback = rule.default
	if (jsonKind(value) !== jsonKind(fallback)) return fallback
	if (rule.values !== null && !rule.values.includes(value)) return fallback
	if (isObj(fallback)) {
		const point = {}
		for (const key of Object.keys(fallback)) {
			point[key] = readableNumber(get(value, key), fallback[key])
		}
		return point
	}
	return value
}

function readableRichText(lines) {
	return {
		type: 'doc',
		content: lines.map((line) =>
			line ? { type: 'paragraph', content: [{ type: 'text', text: line }] } : { type: 'paragraph' }
		),
	}
}

function readableSegments(props) {
	const segments = get(props, 'segments')
	const kept = []
	for (const segment of Array.isArray(segments) ? segments : []) {
		const path = isObj(segment) ? get(segment, 'path') : undefined
		if (typeof path === 'string' && decodePoints(segment).length) {
			const type = get(segment, 'type') === 'straight' ? 'straight' : 'free'
			kept.push(get(segment, 'dim') === 2 ? { type, path, dim: 2 } : { type, path })
		}
	}
	return kept
}

function readable(shape, parentId) {
	const kind = str(get(shape, 'type'), '')
	const props = obj(get(shape, 'props'))
	const rules = has(PROP_RULES, kind) ? PROP_RULES[kind] : null
	let clean
	if (rules === null) {
		clean = {
			w: readableNumber(get(props, 'w'), 100),
			h: readableNumber(get(props, 'h'), 100),
		}
	} else {
		clean = {}
		for (const key of Object.keys(rules)) clean[key] = readableProp(get(props, key), rules[key])
		if (has(rules, 'richText')) clean.richText = readableRichText(shapeLines(props))
	}
	if (kind === 'line') {
		clean.points = {}
		linePoints(props).forEach((p, i) => {
			const index = 'a' + String(i).padStart(6, '0')
			const x = readableNumber(get(p, 'x'), 0)
			const y = readableNumber(get(p, 'y'), 0)
			clean.points[`p${i}`] = { id: `p${i}`, index, x, y }
		})
	}
	if (kind === 'draw' || kind === 'highlight') clean.segments = readableSegments(props)
	return {
		id: shape.id,
		typeName: 'shape',
		type: kind,
		x: readableNumber(get(shape, 'x'), 0),
		y: readableNumber(get(shape, 'y'), 0),
		rotation: readableNumber(get(shape, 'rotation'), 0),
		parentId,
		index: str(get(shape, 'index'), ''),
		props: clean,
	}
}

function readableBinding(binding) {
	const props = obj(get(binding, 'props'))
	const terminal = get(props, 'terminal')
	if (get(binding, 'type') !== 'arrow' || (terminal !== 'start' && terminal !== 'end')) return null
	const anchor = obj(get(props, 'normalizedAnchor'))
	return {
		id: binding.id,
		typeName: 'binding',
		type: 'arrow',
		fromId: str(get(binding, 'fromId'), ''),
		toId: str(get(binding, 'toId'), ''),
		props: {
			terminal,
			normalizedAnchor: {
				x: readableNumber(get(anchor, 'x'), 0.5),
				y: readableNumber(get(anchor, 'y'), 0.5),
			},
			isPrecise: get(props, 'isPrecise') === true,
			isExact: get(props, 'isExact') === true,
		},
	}
}

class PageSource {
	constructor(shapes, children, bindings, pageId) {
		this.shapes = shapes
		this.children = children
		this.bindings = bindings
		this.pageId = pageId
		this.readable = new Map()
		this.query = this
	}

	get(recordId) {
		let cached = this.readable.get(recordId)
		if (cached === undefined && this.shapes.has(recordId)) {
			const shape = this.shapes.get(recordId)
			cached = readable(shape, this.parent(shape))
			this.readable.set(recordId, cached)
		}
		return cached === undefined ? null : cached
	}

	parent(shape) {
		const parent = str(get(shape, 'parentId'), '')
		const seen = new Set([shape.id])
		let current = parent
		while (this.shapes.has(current)) {
			if (seen.has(current)) return this.pageId
			seen.add(current)
			current = str(get(this.shapes.get(current), 'parentId'), '')
		}
		return parent
	}

	exec(typeName, where) {
		if (typeName === 'binding') {
			const found = (this.bindings.get(where.fromId) || []).map(readableBinding)
			return found.filter((b) => b !== null)
		}
		const kids = (this.children.get(where.parentId) || []).map((kid) => this.get(kid.id))
		return kids.filter((kid) => kid !== null && kid.parentId === where.parentId)
	}
}

// -- shapes' geometry -----------------------------------------------------------------------------

// tlsync_core/tldraw/helpers: geometry.py (Transform as {x, y, rotation}, Box as {x, y, w, h}),
// tree.py, text.py, freehand.py, query.py's page_bounds, shape_geometry.py, function by function

function tApply(t, x, y) {
	const cos = Math.cos(t.rotation)
	const sin = Math.sin(t.rotation)
	return [t.x + x * cos - y * sin, t.y + x * sin + y * cos]
}

function tThen(t, inner) {
	const [x, y] = tApply(t, inner.x, inner.y)
	return { x, y, rotation: t.rotation + inner.rotation }
}

function tInverse(t) {
	const [x, y] = tApply({ x: 0, y: 0, rotation: -t.rotation }, -t.x, -t.y)
	return { x, y, rotation: -t.rotation }
}

function localTransform(shape) {
	return { x: shape.x, y: shape.y, rotation: shape.rotation }
}

function boundingBox(points) {
	const xs = points.map((p) => p[0])
	const ys = points.map((p) => p[1])
	const x = Math.min(...xs)
	const y = Math.min(...ys)
	return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y }
}

function corners(box) {
	return [
		[box.x, box.y],
		[box.x + box.w, box.y],
		[box.x + box.w, box.y + box.h],
		[box.x, box.y + box.h],
	]
}

function isShapeId(id) {
	return typeof id === 'string' && id.startsWith('shape:')
}

function getShape(store, shapeId) {
	const shape = isShapeId(shapeId) ? store.get(shapeId) : null
	if (shape === null) throw new Error(`no shape ${shapeId} in the store`)
	return shape
}

function ancestors(store, shapeId) {
	const result = []
	let parentId = getShape(store, shapeId).parentId
	while (isShapeId(parentId)) {
		const parent = store.get(parentId)
		if (parent === null) break
		result.push(parent)
		parentId = parent.parentId
	}
	return result
}

function treeChildren(store, parentId) {
	return store.query.exec('shape', { parentId }).sort(orderCompare)
}

function pageTransform(store, shapeId) {
	let transform = localTransform(getShape(store, shapeId))
	for (const ancestor of ancestors(store, shapeId)) {
		transform = tThen(localTransform(ancestor), transform)
	}
	return transform
}

const INLINE = ['text', 'hardBreak']

function isEmpty(rich) {
	const content = rich.content || []
	return !content.length || (content.length === 1 && !(content[0].content || []).length)
}

function paragraphs(rich) {
	const lines = []
	const visit = (node) => {
		const content = node.content || []
		const inline = content.filter((c) => INLINE.includes(c.type))
		const blocks = content.filter((c) => !INLINE.includes(c.type))
		if (inline.length || (!blocks.length && node.type !== undefined && node.type !== 'doc')) {
			const value = inline.map((c) => (c.type === 'text' ? String(c.text ?? '') : '\n')).join('')
			lines.push(...value.split('\n'))
		}
		for (const child of blocks) visit(child)
	}
	visit(rich)
	return lines.length ? lines : ['']
}

function textSize(shape) {
	const props = shape.props
	const fontSize = size(FONT_SIZES, props.size)
	return textBoxSize(paragraphs(props.richText), props.font, fontSize, props.w, props.autoSize)
}

function rawPoints(props) {
	return props.segments.flatMap((segment) =>
		segmentPoints(
			decodePoints(segment).map((q) => [q[0] * props.scaleX, q[1] * props.scaleY]),
			segment.type === 'straight'
		)
	)
}

function drawOutline(props) {
	return freehandOutline(rawPoints(props), {
		sizeValue: STROKE_SIZES[props.size],
		scale: props.scale,
		segments: props.segments.length,
		isPen: props.isPen,
		isComplete: props.isComplete,
		isClosed: props.isClosed,
	})
}

function part(points, closed, filled, label = false) {
	return { points, closed, filled, inBounds: true, label }
}

function rectPart(w, h, filled, x = 0, y = 0) {
	const points = [
		[x, y],
		[x + w, y],
		[x + w, y + h],
		[x, y + h],
	]
	return part(points, true, filled)
}

function pointInPolygon(point, polygon) {
	const [x, y] = point
	let inside = false
	const n = polygon.length
	for (let i = 0; i < n; i++) {
		const [ax, ay] = polygon[i]
		const [bx, by] = polygon[(((i - 1) % n) + n) % n]
		if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside
	}
	return inside
}

function edges(points, closed) {
	const pairs = []
	for (let i = 1; i < points.length; i++) pairs.push([points[i - 1], points[i]])
	if (closed && points.length > 2) pairs.push([points[points.length - 1], points[0]])
	return pairs
}

function segmentHits(a, b, points, closed) {
	const hits = []
	const rx = b[0] - a[0]
	const ry = b[1] - a[1]
	for (const [c, d] of edges(points, closed)) {
		const sx = d[0] - c[0]
		const sy = d[1] - c[1]
		const denominator = rx * sy - ry * sx
		if (denominator === 0) continue
		const t = ((c[0] - a[0]) * sy - (c[1] - a[1]) * sx) / denominator
		const u = ((c[0] - a[0]) * ry - (c[1] - a[1]) * rx) / denominator
		if (t >= 0 && t <= 1 && u >= 0 && u <= 1) hits.push([a[0] + t * rx, a[1] + t * ry])
	}
	return hits
}

function nearestOnEdges(p, points, closed) {
	let best = points[0]
	let bestD = Infinity
	for (const [a, b] of edges(points, closed)) {
		const dx = b[0] - a[0]
		const dy = b[1] - a[1]
		const length2 = dx * dx + dy * dy
		let t = length2 === 0 ? 0 : ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2
		t = Math.max(0, Math.min(1, t))
		const q = [a[0] + t * dx, a[1] + t * dy]
		const d = Math.hypot(p[0] - q[0], p[1] - q[1])
		if (d < bestD) {
			best = q
			bestD = d
		}
	}
	return best
}

function polylinePart(points, closed = false, filled = false) {
	return part(points.length ? points : [[0, 0]], closed, filled)
}

function shapeParts(store, shape) {
	const props = shape.props
	const kind = shape.type
	if (kind === 'geo') {
		const w = Math.max(1, props.w)
		const h = Math.max(1, props.h + props.growY)
		const outline = geoVertices(props.geo, w, h, shape.id, props.size, props.scale)
		const mirrored = outline.map(([x, y]) => [props.flipX ? w - x : x, props.flipY ? h - y : y])
		return [part(mirrored, true, props.fill !== 'none')]
	}
	if (kind === 'note') {
		return [rectPart(NOTE_SIZE * props.scale, (NOTE_SIZE + props.growY) * props.scale, true)]
	}
	if (kind === 'frame') return [rectPart(props.w, props.h, false)]
	if (kind === 'text') {
		const [w, h] = textSize(shape)
		return [rectPart(w * props.scale, h * props.scale, true)]
	}
	if (kind === 'line') {
		const ordered = Object.values(props.points).sort(orderCompare)
		return [polylinePart(lineVertices(ordered.map((p) => [p.x, p.y]), props.spline))]
	}
	if (kind === 'draw') {
		const [points, closed] = drawOutline(props)
		const dot = closed && !props.isClosed
		return [polylinePart(points, closed, dot || (closed && props.fill !== 'none'))]
	}
	if (kind === 'highlight') return [polylinePart(rawPoints(props))]
	if (kind === 'arrow') {
		const body = arrowBody(store, shape)
		const label = arrowLabel(store, shape, body)
		if (label === null) return [polylinePart(body)]
		const box = rectPart(label.w, label.h, true, label.x, label.y)
		return [polylinePart(body), { ...box, label: true }]
	}
	if (kind === 'group') {
		const kids = treeChildren(store, shape.id)
		if (!kids.length) return [rectPart(1, 1, false)]
		return kids.flatMap((kid) =>
			shapeParts(store, kid).map((p) => ({
				...p,
				points: p.points.map(([x, y]) => tApply(localTransform(kid), x, y)),
				label: false,
			}))
		)
	}
	if (has(props, 'w') && has(props, 'h')) return [rectPart(props.w, props.h, true)]
	return [rectPart(1, 1, false)]
}

function frameClips(store, shapeId) {
	const clips = []
	for (const frame of ancestors(store, shapeId)) {
		if (frame.type === 'frame') {
			const transform = pageTransform(store, frame.id)
			const box = { x: 0, y: 0, w: frame.props.w, h: frame.props.h }
			clips.push(corners(box).map(([x, y]) => tApply(transform, x, y)))
		}
	}
	return clips
}

function shapeBounds(store, shape) {
	const points = shapeParts(store, shape)
		.filter((p) => p.inBounds)
		.flatMap((p) => p.points)
	return points.length ? boundingBox(points) : { x: 0, y: 0, w: 0, h: 0 }
}

function pageBounds(store, shapeId) {
	const shape = getShape(store, shapeId)
	const transform = pageTransform(store, shapeId)
	const points = shapeParts(store, shape)
		.filter((p) => p.inBounds)
		.flatMap((p) => p.points.map(([x, y]) => tApply(transform, x, y)))
	return boundingBox(points)
}

// -- arrows ---------------------------------------------------------------------------------------

// tlsync_core/tldraw/helpers/arrow_geometry.py, function by function (tldraw's getArrowInfo)

function endOutline(store, end) {
	const parts = shapeParts(store, end.shape).filter((p) => !p.label)
	if (end.shape.type !== 'text' || end.arrowhead) return parts
	const pad = ARROW.TEXT_ARROW_PADDING * end.shape.props.scale
	const box = boundingBox(parts.flatMap((p) => p.points))
	const [left, right] = [box.x - pad, box.x + box.w + pad]
	const [top, bottom] = [box.y, box.y + box.h]
	const points = [
		[left, top],
		[right, top],
		[right, bottom],
		[left, bottom],
	]
	return [part(points, true, true)]
}

function endClosed(store, end) {
	if (['line', 'draw', 'highlight'].includes(end.shape.type)) {
		return shapeParts(store, end.shape).every((p) => p.closed)
	}
	return true
}

function boxContains(a, b) {
	return a.x < b.x && a.y < b.y && b.x + b.w < a.x + a.w && b.y + b.h < a.y + a.h
}

function relationship(store, start, end) {
	if (start === null || end === null) return 'safe'
	if (start.id === end.id) return 'double-bound'
	const startBox = pageBounds(store, start.id)
	const endBox = pageBounds(store, end.id)
	if (boxContains(startBox, endBox)) return 'start-contains-end'
	if (boxContains(endBox, startBox)) return 'end-contains-start'
	return 'safe'
}

function boundTargets(store, arrow) {
	const result = {}
	for (const binding of store.query.exec('binding', { fromId: arrow.id })) {
		const target = store.get(binding.toId)
		if (binding.type === 'arrow' && target !== null) {
			result[binding.props.terminal] = [binding, target]
		}
	}
	return result
}

function arrowEnd(store, arrow, terminal, bound, precise) {
	if (bound === undefined) {
		const point = arrow.props[terminal]
		const handle = [point.x, point.y]
		return { handle, shape: null, exact: false, toTarget: null, didIntersect: false, arrowhead: true }
	}
	const [binding, target] = bound
	const head = arrow.props[terminal === 'start' ? 'arrowheadStart' : 'arrowheadEnd']
	let anchor = binding.props.normalizedAnchor
	if (!(binding.props.isPrecise || precise)) anchor = { x: 0.5, y: 0.5 }
	const nx = Math.min(1, Math.max(0, anchor.x))
	const ny = Math.min(1, Math.max(0, anchor.y))
	const box = shapeBounds(store, target)
	const targetPage = pageTransform(store, target.id)
	const arrowPage = pageTransform(store, arrow.id)
	const onPage = tApply(targetPage, box.x + nx * box.w, box.y + ny * box.h)
	const handle = tApply(tInverse(arrowPage), onPage[0], onPage[1])
	const toTarget = tThen(tInverse(targetPage), arrowPage)
	const exact = binding.props.isExact
	return { handle, shape: target, exact, toTarget, didIntersect: false, arrowhead: head !== 'none' }
}

function same(p, q) {
	return Math.abs(p[0] - q[0]) < 0.0001 && Math.abs(p[1] - q[1]) < 0.0001
}

function unitOf(dx, dy) {
	const length = Math.hypot(dx, dy)
	return length ? [dx / length, dy / length] : [dx, dy]
}

function headOffset(arrow, end) {
	const sizeName = end.shape.props.size
	const known = typeof sizeName === 'string' && has(STROKE_SIZES, sizeName)
	const shapeStroke = known ? STROKE_SIZES[sizeName] : 0
	return STROKE_SIZES[arrow.props.size] / 2 + shapeStroke / 2
}

function nearestTo(points, origin) {
	let best = null
	let bestD = Infinity
	for (const p of points) {
		const d = (p[0] - origin[0]) ** 2 + (p[1] - origin[1]) ** 2
		if (d < bestD) {
			best = p
			bestD = d
		}
	}
	return best
}

function clampToFrames(store, arrow, end, point) {
	if (end.shape === null) return point
	const toPage = pageTransform(store, arrow.id)
	const pagePoint = tApply(toPage, point[0], point[1])
	for (const clip of frameClips(store, end.shape.id)) {
		if (pointInPolygon(pagePoint, clip)) continue
		const anchor = tApply(toPage, end.handle[0], end.handle[1])
		const [ux, uy] = unitOf(anchor[0] - pagePoint[0], anchor[1] - pagePoint[1])
		const extended = [anchor[0] + ux, anchor[1] + uy]
		const hits = segmentHits(extended, pagePoint, clip, true)
		if (hits.length) {
			const closest = nearestTo(hits, pagePoint)
			return tApply(tInverse(toPage), closest[0], closest[1])
		}
		return point
	}
	return point
}

function meetOutline(store, end, opposite, point) {
	if (end.shape === null || end.exact || end.toTarget === null) return null
	const from = tApply(end.toTarget, opposite[0], opposite[1])
	const to = tApply(end.toTarget, point[0], point[1])
	const parts = endOutline(store, end)
	const hits = parts.flatMap((p) => segmentHits(from, to, p.points, p.closed))
	let meet
	if (hits.length) {
		meet = nearestTo(hits, from)
	} else {
		const nearest = parts.map((p) => nearestOnEdges(to, p.points, p.closed))
		meet = nearest[0]
		let bestD = Math.hypot(meet[0] - to[0], meet[1] - to[1])
		for (const q of nearest.slice(1)) {
			const d = Math.hypot(q[0] - to[0], q[1] - to[1])
			if (d < bestD) {
				meet = q
				bestD = d
			}
		}
		if (bestD >= 1) return null
	}
	end.didIntersect = true
	return tApply(tInverse(end.toTarget), meet[0], meet[1])
}

function straightBody(store, arrow, start, end, relation) {
	const props = arrow.props
	const scale = props.scale
	const shortest = ARROW.MIN_ARROW_LENGTH * scale
	let a = start.handle
	let b = end.handle
	if (same(a, b)) return [a, b]
	const uAB = unitOf(b[0] - a[0], b[1] - a[1])
	b = meetOutline(store, end, start.handle, b) ?? b
	a = meetOutline(store, start, end.handle, a) ?? a
	b = clampToFrames(store, arrow, end, b)
	a = clampToFrames(store, arrow, start, a)
	const both = start.shape !== null && end.shape !== null
	const selfBound = both && start.shape.id === end.shape.id
	if (relation === 'safe' && both && !selfBound && !start.exact && !end.exact) {
		if (end.didIntersect && !start.didIntersect) {
			if (endClosed(store, start)) a = [b[0] + uAB[0] * shortest, b[1] + uAB[1] * shortest]
		} else if (!end.didIntersect && endClosed(store, end)) {
			b = [a[0] - uAB[0] * shortest, a[1] - uAB[1] * shortest]
		}
	}
	const u = unitOf(b[0] - a[0], b[1] - a[1])
	const flip = same(u, uAB) ? 1 : -1
	let offsetA = 0
	let offsetB = 0
	let minLength = shortest
	if (!selfBound) {
		const startHead = start.shape !== null && props.arrowheadStart !== 'none' && !start.exact
		const endHead = end.shape !== null && props.arrowheadEnd !== 'none' && !end.exact
		if (relation !== 'start-contains-end' && startHead) {
			const stroke = headOffset(arrow, start)
			offsetA = (ARROW.BOUND_ARROW_OFFSET + stroke) * scale
			minLength += stroke * scale
		}
		if (relation !== 'end-contains-start' && endHead) {
			const stroke = headOffset(arrow, end)
			offsetB = (ARROW.BOUND_ARROW_OFFSET + stroke) * scale
			minLength += stroke * scale
		}
	}
	const ta = [a[0] + u[0] * offsetA * flip, a[1] + u[1] * offsetA * flip]
	const tb = [b[0] - u[0] * offsetB * flip, b[1] - u[1] * offsetB * flip]
	if (Math.hypot(ta[0] - tb[0], ta[1] - tb[1]) < minLength) {
		if (offsetA && offsetB) {
			offsetA *= -1.5
			offsetB *= -1.5
		} else if (offsetA) {
			offsetA = -offsetA
		} else if (offsetB) {
			offsetB = -offsetB
		}
	}
	a = [a[0] + u[0] * offsetA * flip, a[1] + u[1] * offsetA * flip]
	b = [b[0] - u[0] * offsetB * flip, b[1] - u[1] * offsetB * flip]
	if (flip < 0 && both) b = [a[0] - u[0] * shortest, a[1] - u[1] * shortest]
	return [a, b]
}

function angleOf(center, point) {
	return Math.atan2(point[1] - center[1], point[0] - center[0])
}

function canonical(angle) {
	const mod = angle % TAU
	return mod !== 0 && mod < 0 ? mod + TAU : mod
}

function clockwise(a0, a1) {
	a0 = canonical(a0)
	a1 = canonical(a1)
	if (a0 > a1) a1 += TAU
	return a1 - a0
}

function counterClockwise(a0, a1) {
	return TAU - clockwise(a0, a1)
}

function onCircle(center, radius, angle) {
	return [center[0] + Math.cos(angle) * radius, center[1] + Math.sin(angle) * radius]
}

function arcInfo(a, b, c) {
	const center = circleCenter(a, b, c) ?? [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]
	const radius = Math.hypot(center[0] - a[0], center[1] - a[1])
	const sweep = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]) < 0 ? 1 : 0
	const ab = Math.hypot(a[0] - b[0], a[1] - b[1])
	const bc = Math.hypot(b[0] - c[0], b[1] - c[1])
	const ca = Math.hypot(c[0] - a[0], c[1] - a[1])
	const cosine = bc && ca ? (bc * bc + ca * ca - ab * ab) / (2 * bc * ca) : NaN
	const theta = cosine >= -1 && cosine <= 1 ? Math.acos(cosine) * 2 : NaN
	const arcSize = (TAU - theta) * (sweep ? 1 : -1)
	const largeArc = Math.PI > theta ? 1 : 0
	return { center, radius, size: arcSize, length: arcSize * radius, largeArc, sweep }
}

function circleHits(center, radius, p) {
	const hits = []
	for (const [a, b] of edges(p.points, p.closed)) {
		const dx = b[0] - a[0]
		const dy = b[1] - a[1]
		const ox = a[0] - center[0]
		const oy = a[1] - center[1]
		const qa = dx * dx + dy * dy
		const qb = 2 * (dx * ox + dy * oy)
		const qc = ox * ox + oy * oy - radius * radius
		const determinant = qb * qb - 4 * qa * qc
		if (determinant <= 0 || qa === 0) continue
		const root = Math.sqrt(determinant)
		for (const t of [(-qb + root) / (2 * qa), (-qb - root) / (2 * qa)]) {
			if (t >= 0 && t <= 1) hits.push([a[0] + dx * t, a[1] + dy * t])
		}
	}
	return hits
}

function minBy(items, key) {
	let best = null
	let bestKey = Infinity
	for (const item of items) {
		const k = key(item)
		if (best === null || k < bestKey) {
			best = item
			bestKey = k
		}
	}
	return best
}

function arcMeet(store, end, arc, { a, b, share, isClockwise }) {
	const dist = isClockwise ? clockwise : counterClockwise
	const localA = tApply(end.toTarget, a[0], a[1])
	const localB = tApply(end.toTarget, b[0], b[1])
	const center = tApply(end.toTarget, arc.center[0], arc.center[1])
	const parts = endOutline(store, end)
	let hits = parts.flatMap((p) => circleHits(center, arc.radius, p))
	let point = null
	if (hits.length) {
		const toA = angleOf(center, localA)
		const toB = angleOf(center, localB)
		const span = dist(toA, toB)
		hits = hits.filter((h) => dist(toA, angleOf(center, h)) <= span)
		const closed = endClosed(store, end)
		if (hits.length) {
			const target = span * share
			point = closed
				? minBy(hits, (h) => Math.abs(dist(toA, angleOf(center, h)) - target))
				: minBy(hits, (h) => dist(toA, angleOf(center, h)))
		}
	}
	if (point === null) {
		if (endClosed(store, end)) {
			const near = share < 0.5 ? localA : localB
			const nearest = minBy(
				parts.map((p) => nearestOnEdges(near, p.points, p.closed)),
				(q) => Math.hypot(q[0] - near[0], q[1] - near[1])
			)
			if (Math.hypot(nearest[0] - near[0], nearest[1] - near[1]) < 1) point = nearest
		} else {
			point = share < 0.5 ? localA : localB
		}
	}
	if (point === null) return null
	end.didIntersect = true
	return tApply(tInverse(end.toTarget), point[0], point[1])
}

function along(arc, angle, turn) {
	return onCircle(arc.center, arc.radius, angle + turn)
}

function bentBody(store, arrow, start, end, relation) {
	const props = arrow.props
	const scale = props.scale
	const bend = props.bend
	const a = start.handle
	const b = end.handle
	const [ux, uy] = unitOf(b[0] - a[0], b[1] - a[1])
	const c = [(a[0] + b[0]) / 2 - uy * bend, (a[1] + b[1]) / 2 + ux * bend]
	if (same(a, b)) return [a, b]
	const isClockwise = bend < 0
	const dist = isClockwise ? clockwise : counterClockwise
	const handle = arcInfo(a, b, c)
	const handleA = angleOf(handle.center, a)
	const handleB = angleOf(handle.center, b)
	const handleSpan = dist(handleA, handleB)
	if (!handle.length || !handle.size || !Number.isFinite(handle.length)) return null
	let [tempA, tempB, tempC] = [a, b, c]
	let offsetA = 0
	let offsetB = 0
	let minLength = ARROW.MIN_ARROW_LENGTH * scale
	for (const [end_, isStart] of [
		[start, true],
		[end, false],
	]) {
		if (end_.shape === null || end_.exact) continue
		const share = isStart ? 0.25 : 0.75
		const met = arcMeet(store, end_, handle, { a: tempA, b: tempB, share, isClockwise })
		if (met === null) continue
		if (isStart) tempA = met
		else tempB = met
		const head = props[isStart ? 'arrowheadStart' : 'arrowheadEnd']
		if (head !== 'none') {
			const stroke = headOffset(arrow, end_)
			if (isStart) offsetA = (ARROW.BOUND_ARROW_OFFSET + stroke) * scale
			else offsetB = (ARROW.BOUND_ARROW_OFFSET + stroke) * scale
			minLength += stroke * scale
		}
	}
	tempA = clampToFrames(store, arrow, start, tempA)
	tempB = clampToFrames(store, arrow, end, tempB)
	let angleA = angleOf(handle.center, tempA)
	let angleB = angleOf(handle.center, tempB)
	let span = dist(angleA, angleB)
	let length = span * handle.radius
	const turn = isClockwise ? 1 : -1
	const ta = offsetA ? along(handle, angleA, ((span * offsetA) / length) * turn) : tempA
	const tb = offsetB ? along(handle, angleB, ((-span * offsetB) / length) * turn) : tempB
	if (Math.hypot(ta[0] - tb[0], ta[1] - tb[1]) < minLength) {
		if (offsetA && offsetB) {
			offsetA *= -1.5
			offsetB *= -1.5
		} else if (offsetA) {
			offsetA *= -2
		} else if (offsetB) {
			offsetB *= -2
		}
		offsetA = Math.max(offsetA, 0.1 - dist(handleA, angleA) * handle.radius)
		offsetB = Math.max(offsetB, 0.1 - dist(angleB, handleB) * handle.radius)
	}
	if (offsetA) tempA = along(handle, angleA, ((span * offsetA) / length) * turn)
	if (offsetB) tempB = along(handle, angleB, ((-span * offsetB) / length) * turn)
	if (start.shape !== null && end.shape !== null && !start.exact && !end.exact) {
		angleA = angleOf(handle.center, tempA)
		angleB = angleOf(handle.center, tempB)
		span = dist(angleA, angleB)
		length = span * handle.radius
		if (relation === 'double-bound' && length < 30) {
			;[tempA, tempB, tempC] = [a, b, c]
		} else if (relation === 'safe') {
			if (!start.didIntersect) tempA = a
			if (!end.didIntersect || dist(handleA, angleA) > dist(handleA, angleB)) {
				const share = length ? Math.min(0.9, (ARROW.MIN_ARROW_LENGTH * scale) / length) : 0.9
				tempB = onCircle(handle.center, handle.radius, angleA + span * share * turn)
			}
		}
	}
	;[tempA, tempB, tempC] = placeMiddle(handle, tempA, tempB, handleSpan, isClockwise)
	if (tempA[0] === tempB[0] && tempA[1] === tempB[1]) {
		tempA = [tempC[0] + 1, tempC[1] + 1]
		tempB = [tempC[0] - 1, tempC[1] - 1]
	}
	return arcVertices(arcInfo(tempA, tempB, tempC), tempA, tempB)
}

function placeMiddle(handle, a, b, originalSpan, isClockwise) {
	const angleA = angleOf(handle.center, a)
	const angleB = angleOf(handle.center, b)
	let span = clockwise(angleA, angleB)
	if (!isClockwise) span = TAU - span
	let c = onCircle(handle.center, handle.radius, angleA + span * 0.5 * (isClockwise ? 1 : -1))
	if (span > originalSpan) {
		const [cx, cy] = handle.center
		c = [2 * cx - c[0], 2 * cy - c[1]]
		;[a, b] = [b, a]
	}
	return [a, b, c]
}

function arcVertices(arc, a, b) {
	const start = angleOf(arc.center, a)
	const finish = angleOf(arc.center, b)
	const turn = (finish - start) % TAU
	let measure = ((2 * turn) % TAU) - turn
	if (arc.largeArc) measure = (TAU - Math.abs(measure)) * (arc.sweep ? 1 : -1)
	const spaced = Math.ceil(Math.abs(measure * arc.radius) / ARROW.ARC_BODY_SPACING)
	const count = Math.max(ARROW.ARC_BODY_MIN_SEGMENTS, spaced)
	const points = []
	for (let i = 0; i <= count; i++) {
		points.push(onCircle(arc.center, arc.radius, start + (i / count) * measure))
	}
	return points
}

function arrowBody(store, arrow) {
	const bound = boundTargets(store, arrow)
	const startShape = bound.start ? bound.start[1] : null
	const endShape = bound.end ? bound.end[1] : null
	const relation = relationship(store, startShape, endShape)
	const startPrecise = ['double-bound', 'start-contains-end'].includes(relation)
	const endPrecise = ['double-bound', 'end-contains-start'].includes(relation)
	const start = arrowEnd(store, arrow, 'start', bound.start, startPrecise)
	const end = arrowEnd(store, arrow, 'end', bound.end, endPrecise)
	const props = arrow.props
	const straight = Math.abs(props.bend) < ARROW.MIN_BEND * props.scale
	const tooBig = Math.abs(props.bend) > Math.abs(props.bend * ARROW.WAY_TOO_BIG_BEND * props.scale)
	if (props.kind === 'arc' && !straight && !tooBig) {
		const body = bentBody(store, arrow, start, end, relation)
		if (body !== null) return body
		start.didIntersect = false
		end.didIntersect = false
	}
	return straightBody(store, arrow, start, end, relation)
}

function bodyLength(points) {
	let total = 0
	for (let i = 1; i < points.length; i++) {
		total += Math.hypot(points[i][0] - points[i - 1][0], points[i][1] - points[i - 1][1])
	}
	return total
}

function interpolate(points, t) {
	let target = bodyLength(points) * t
	for (let i = 1; i < points.length; i++) {
		const [p, q] = [points[i - 1], points[i]]
		const step = Math.hypot(q[0] - p[0], q[1] - p[1])
		if (step && target <= step) {
			return [p[0] + ((q[0] - p[0]) * target) / step, p[1] + ((q[1] - p[1]) * target) / step]
		}
		target -= step
	}
	return points[points.length - 1]
}

function uninterpolate(points, point) {
	const total = bodyLength(points) || 1
	let best = 0
	let bestD = Infinity
	let walked = 0
	for (let i = 1; i < points.length; i++) {
		const [p, q] = [points[i - 1], points[i]]
		const step = Math.hypot(q[0] - p[0], q[1] - p[1])
		let t = 0
		if (step) {
			t = ((point[0] - p[0]) * (q[0] - p[0]) + (point[1] - p[1]) * (q[1] - p[1])) / step ** 2
			t = Math.max(0, Math.min(1, t))
		}
		const d = Math.hypot(p[0] + (q[0] - p[0]) * t - point[0], p[1] + (q[1] - p[1]) * t - point[1])
		if (d < bestD) {
			best = (walked + step * t) / total
			bestD = d
		}
		walked += step
	}
	return best
}

function labelSize(arrow, body) {
	const props = arrow.props
	const rich = props.richText
	const lines = isEmpty(rich) ? ['i'] : paragraphs(rich)
	const fontSize = size(ARROW_LABEL_FONT_SIZES, props.size) * props.scale
	const box = measure(lines, props.font, fontSize, null)
	let width = box.w
	let height = box.h
	const extent = boundingBox(body)
	let squeeze = null
	if (extent.w > extent.h) {
		const margin = ARROW.LABEL_MARGIN
		squeeze = Math.max(Math.min(box.w, margin), Math.min(extent.w - margin, box.w))
	} else if (box.w > 16 * fontSize) {
		squeeze = 16 * fontSize
	}
	if (squeeze !== null) {
		const squeezed = measure(lines, props.font, fontSize, squeeze)
		width = squeezed.w
		height = squeezed.h
	}
	const padding = ARROW.ARROW_LABEL_PADDING * 2 * props.scale
	return [width + padding, height + padding]
}

function boxAt(center, [w, h]) {
	return { x: center[0] - w / 2, y: center[1] - h / 2, w, h }
}

function furthestCrossing(body, box, origin) {
	const crossings = []
	for (let i = 1; i < body.length; i++) {
		crossings.push(...segmentHits(body[i - 1], body[i], corners(box), true))
	}
	if (!crossings.length) return null
	let best = null
	let bestD = -Infinity
	for (const h of crossings) {
		const d = (h[0] - origin[0]) ** 2 + (h[1] - origin[1]) ** 2
		if (d > bestD) {
			best = h
			bestD = d
		}
	}
	return best
}

function arrowLabel(store, arrow, body) {
	const props = arrow.props
	const length = bodyLength(body)
	if (isEmpty(props.richText) || length === 0) return null
	const labelBox = labelSize(arrow, body)
	const stroke = STROKE_SIZES[props.size]
	const bonus = stroke >= STROKE_SIZES.xl ? 20 : 0
	const padding = (ARROW.LABEL_TO_ARROW + (stroke - STROKE_SIZES.s) * 2 + bonus) * props.scale
	const relative = padding / length
	const first = furthestCrossing(body, boxAt(interpolate(body, relative), labelBox), body[0])
	const lastBox = boxAt(interpolate(body, 1 - relative), labelBox)
	const last = furthestCrossing(body, lastBox, body[body.length - 1])
	let low = first !== null ? uninterpolate(body, first) : 0.5
	let high = last !== null ? uninterpolate(body, last) : 0.5
	if (low > high) {
		low = 0.5
		high = 0.5
	}
	const bound = boundTargets(store, arrow)
	if (props.arrowheadStart === 'none' && !bound.start) low = 0
	if (props.arrowheadEnd === 'none' && !bound.end) high = 1
	const position = Math.min(Math.max(props.labelPosition, low), high)
	return boxAt(interpolate(body, position), labelBox)
}

class Renderer {
	constructor(records, pageId, idPrefix) {
		this.prefix = idPrefix
		this.shapes = new Map()
		this.children = new Map()
		this.bindings = new Map()
		this.assets = new Map()
		const pages = []
		const presence = []
		for (const recordId of Object.keys(records).sort(compareStrings)) {
			const record = records[recordId]
			const kind = get(record, 'typeName')
			if (kind === 'shape' && recordId.startsWith('shape:')) {
				this.shapes.set(recordId, record)
				pushTo(this.children, str(get(record, 'parentId'), ''), record)
			} else if (kind === 'binding') {
				pushTo(this.bindings, str(get(record, 'fromId'), ''), record)
			} else if (kind === 'asset') {
				this.assets.set(recordId, record)
			} else if (kind === 'page') {
				pages.push(record)
			} else if (kind === 'instance_presence') {
				presence.push(record)
			}
		}
		for (const siblings of this.children.values()) siblings.sort(orderCompare)
		pages.sort(orderCompare)
		this.presence = presence
		if (pageId === null || pageId === undefined) {
			if (pages.length) pageId = pages[0].id
			else {
				const roots = [...this.children.keys()].filter((p) => !this.shapes.has(p))
				roots.sort(compareStrings)
				pageId = roots.length ? roots[0] : 'page:page'
			}
		}
		this.pageId = pageId
		this.source = new PageSource(this.shapes, this.children, this.bindings, pageId)
		this.points = []
		this.patterns = new Set()
	}

	// geometry of any shape

	localBox(shape) {
		const kind = get(shape, 'type')
		const props = obj(get(shape, 'props'))
		const scale = num(get(props, 'scale'), 1)
		if (kind === 'geo') {
			const h = num(get(props, 'h'), 100) + num(get(props, 'growY'), 0)
			return [0, 0, num(get(props, 'w'), 100), h]
		}
		if (kind === 'note') {
			return [0, 0, NOTE_SIZE * scale, (NOTE_SIZE + num(get(props, 'growY'), 0)) * scale]
		}
		if (kind === 'text') {
			const [w, h] = textBoxSize(
				shapeLines(props),
				str(get(props, 'font'), 'draw'),
				size(FONT_SIZES, get(props, 'size')),
				num(get(props, 'w'), 8),
				get(props, 'autoSize') !== false
			)
			return [0, 0, w * scale, h * scale]
		}
		return [0, 0, num(get(props, 'w'), 100), num(get(props, 'h'), 100)]
	}

	geoVertices(shape) {
		const props = obj(get(shape, 'props'))
		const box = this.localBox(shape)
		const geo = str(get(props, 'geo'), 'rectangle')
		const sizeName = str(get(props, 'size'), 'm')
		const scale = num(get(props, 'scale'), 1)
		return geoVertices(geo, box[2], box[3], str(get(shape, 'id'), ''), sizeName, scale)
	}

	drawStroke(props) {
		const segments = get(props, 'segments')
		return freehandOutline(drawPoints(props), {
			sizeValue: size(STROKE_SIZES, get(props, 'size')),
			scale: num(get(props, 'scale'), 1),
			segments: Array.isArray(segments) ? segments.length : 0,
			isPen: get(props, 'isPen') === true,
			isComplete: get(props, 'isComplete') === true,
			isClosed: get(props, 'isClosed') === true,
		})
	}

	textLines(props) {
		const width = textWrapWidth(num(get(props, 'w'), 8), get(props, 'autoSize') !== false)
		const fontSize = size(FONT_SIZES, get(props, 'size'))
		return wrapLines(shapeLines(props), get(props, 'font'), fontSize, width)
	}

	extend(m, points) {
		for (const p of points) this.points.push(apply(m, p))
	}

	// rendering

	render(padding, withPresence) {
		let body = ''
		for (const shape of this.children.get(this.pageId) || []) {
			body += this.shape(shape, IDENTITY, 0)
		}
		const cursorPoints = []
		const cursors = []
		if (withPresence) {
			for (const record of this.presence) {
				const cursor = get(record, 'cursor')
				const page = get(record, 'currentPageId')
				if (!isObj(cursor) || (typeof page === 'string' && page !== this.pageId)) continue
				cursors.push(record)
				cursorPoints.push([num(get(cursor, 'x'), 0), num(get(cursor, 'y'), 0)])
			}
		}
		const box = boundsOf([...this.points, ...cursorPoints])
		const view =
			box === null
				? EMPTY_BOX
				: [box[0] - padding, box[1] - padding, box[2] + padding, box[3] + padding]
		const vw = view[2] - view[0]
		const vh = view[3] - view[1]
		const cursorScale = Math.max(1, Math.max(vw, vh) / 1200)
		let overlay = ''
		for (const record of cursors) overlay += this.cursor(record, cursorScale)
		let defs = ''
		for (const name of [...this.patterns].sort(compareStrings)) defs += this.pattern(name)
		let out =
			`<svg xmlns="http://www.w3.org/2000/svg" class="tl-room"` +
			` viewBox="${fmt(view[0])} ${fmt(view[1])} ${fmt(vw)} ${fmt(vh)}"` +
			` width="${fmt(vw)}" height="${fmt(vh)}" data-page-id="${esc(this.pageId)}">`
		if (defs) out += `<defs>${defs}</defs>`
		out +=
			`<rect class="tl-background" x="${fmt(view[0])}" y="${fmt(view[1])}"` +
			` width="${fmt(vw)}" height="${fmt(vh)}" fill="${THEME.background}"/>`
		out += `<g class="tl-shapes">${body}</g>`
		out += `<g class="tl-cursors">${overlay}</g>`
		return out + '</svg>'
	}

	pattern(name) {
		return (
			`<pattern id="${this.prefix}-pattern-${name.replace(NOT_ID, '_')}"` +
			` width="8" height="8" patternUnits="userSpaceOnUse">` +
			`<rect width="8" height="8" fill="${THEME.solid}"/>` +
			`<path d="M0 8 L8 0 M-2 2 L2 -2 M6 10 L10 6" stroke="${color(name, 'pattern')}"` +
			` stroke-width="1.5"/></pattern>`
		)
	}

	fill(colorName, fill) {
		if (fill === 'semi') return THEME.solid
		if (fill === 'solid') return color(colorName, 'semi')
		if (fill === 'fill') return color(colorName, 'solid')
		if (fill === 'lined-fill') return color(colorName, 'linedFill')
		if (fill === 'pattern') {
			const name = typeof colorName === 'string' ? colorName : 'black'
			this.patterns.add(name)
			return `url(#${this.prefix}-pattern-${name.replace(NOT_ID, '_')})`
		}
		return 'none'
	}

	shape(shape, parent, depth) {
		if (depth > 32) return ''
		const m = mul(parent, localMatrix(shape))
		const kind = str(get(shape, 'type'), '')
		const opacity = num(get(shape, 'opacity'), 1)
		let head =
			`<g data-shape-id="${esc(shape.id)}" data-shape-type="${esc(kind)}"` +
			` transform="${transformAttr(shape)}"`
		if (opacity !== 1) head += ` opacity="${fmt(opacity)}"`
		const props = obj(get(shape, 'props'))
		if (kind === 'geo') head += ` data-geo="${esc(str(get(props, 'geo'), 'rectangle'))}"`
		let children = ''
		for (const child of this.children.get(shape.id) || []) {
			children += this.shape(child, m, depth + 1)
		}
		const drawing = has(SHAPES, kind) ? SHAPES[kind] : PLACEHOLDER
		return `${head}>${drawing(this, shape, props, m, children)}</g>`
	}

	label(props, { w, h, fontSize, fill, scale }) {
		let lines = shapeLines(props)
		if (!lines.length) return ''
		const pad = LABEL_PADDING * scale
		lines = wrapLines(lines, get(props, 'font'), fontSize, w - pad * 2)
		const align = get(props, 'align')
		let x
		let anchor
		if (align === 'start' || align === 'start-legacy') {
			x = pad
			anchor = 'start'
		} else if (align === 'end' || align === 'end-legacy') {
			x = w - pad
			anchor = 'end'
		} else {
			x = w / 2
			anchor = 'middle'
		}
		const blockHeight = lines.length * fontSize * LINE_HEIGHT
		const vertical = get(props, 'verticalAlign')
		let top
		if (vertical === 'start') top = pad
		else if (vertical === 'end') top = h - pad - blockHeight
		else top = (h - blockHeight) / 2
		const family = font(get(props, 'font'))
		return text(lines, { x, top, fontSize, family, fill, anchor, cls: 'tl-label' })
	}

	geo(shape, props, m) {
		const box = this.localBox(shape)
		const w = box[2]
		const h = box[3]
		this.extend(m, boxPoints(box))
		const geo = str(get(props, 'geo'), 'rectangle')
		const scale = num(get(props, 'scale'), 1)
		const colorName = get(props, 'color')
		const sw = size(STROKE_SIZES, get(props, 'size')) * scale
		const stroke = strokeAttrs(color(colorName, 'solid'), sw, get(props, 'dash'))
		const fill = this.fill(colorName, get(props, 'fill'))
		const flipX = get(props, 'flipX') === true
		const flipY = get(props, 'flipY') === true
		let out = ''
		if (flipX || flipY) {
			out +=
				`<g transform="matrix(${flipX ? -1 : 1} 0 0 ${flipY ? -1 : 1}` +
				` ${flipX ? fmt(w) : 0} ${flipY ? fmt(h) : 0})">`
		}
		out += `<path class="tl-geo" d="${polygonD(this.geoVertices(shape))}" fill="${fill}"${stroke}/>`
		if (geo === 'x-box') {
			out += `<path d="M0 0 L${pt([w, h])} M${fmt(w)} 0 L0 ${fmt(h)}" fill="none"${stroke}/>`
		} else if (geo === 'check-box') {
			const sizeBox = Math.min(w, h) * 0.82
			const ox = (w - sizeBox) / 2
			const oy = (h - sizeBox) / 2
			const check = [
				[ox + sizeBox * 0.25, oy + sizeBox * 0.52],
				[ox + sizeBox * 0.45, oy + sizeBox * 0.82],
				[ox + sizeBox * 0.82, oy + sizeBox * 0.22],
			]
			out += `<path d="${lineD(check)}" fill="none"${stroke}/>`
		}
		if (flipX || flipY) out += '</g>'
		const fontSize = size(LABEL_FONT_SIZES, get(props, 'size')) * scale
		const fillText = color(get(props, 'labelColor'), 'solid')
		return out + this.label(props, { w, h, fontSize, fill: fillText, scale })
	}

	textShape(shape, props, m) {
		const box = this.localBox(shape)
		this.extend(m, boxPoints(box))
		const scale = num(get(props, 'scale'), 1)
		const fontSize = size(FONT_SIZES, get(props, 'size')) * scale
		const lines = this.textLines(props)
		const align = get(props, 'textAlign')
		let x
		let anchor
		if (align === 'middle') {
			x = box[2] / 2
			anchor = 'middle'
		} else if (align === 'end') {
			x = box[2]
			anchor = 'end'
		} else {
			x = 0
			anchor = 'start'
		}
		const family = font(get(props, 'font'))
		const fill = color(get(props, 'color'), 'solid')
		return text(lines, { x, top: 0, fontSize, family, fill, anchor, cls: 'tl-text' })
	}

	note(shape, props, m) {
		const box = this.localBox(shape)
		const w = box[2]
		const h = box[3]
		this.extend(m, boxPoints(box))
		const scale = num(get(props, 'scale'), 1)
		const colorName = get(props, 'color')
		const out =
			`<rect class="tl-note-shadow" x="0" y="${fmt(2 * scale)}" width="${fmt(w)}"` +
			` height="${fmt(h)}" rx="${fmt(2 * scale)}" fill="#000000" fill-opacity="0.1"/>` +
			`<rect class="tl-note" width="${fmt(w)}" height="${fmt(h)}" rx="${fmt(2 * scale)}"` +
			` fill="${color(colorName, 'noteFill')}"/>`
		// fontSizeAdjustment: the ratio tldraw shrank the label's font by to fit (null: 1)
		const adjustment = num(get(props, 'fontSizeAdjustment'), 1)
		const fontSize = size(LABEL_FONT_SIZES, get(props, 'size')) * (adjustment > 0 ? adjustment : 1)
		const labelColor = get(props, 'labelColor')
		const fill =
			labelColor === undefined || labelColor === null || labelColor === 'black'
				? color(colorName, 'noteText')
				: color(labelColor, 'solid')
		return out + this.label(props, { w, h, fontSize: fontSize * scale, fill, scale })
	}

	frame(shape, props, m, children) {
		const w = num(get(props, 'w'), 100)
		const h = num(get(props, 'h'), 100)
		this.extend(m, [
			[0, -24],
			[w, -24],
			[w, h],
			[0, h],
		])
		const colorName = get(props, 'color')
		const name = str(get(props, 'name'), '') || 'Frame'
		const clip = `${this.prefix}-clip-${shape.id.replace(NOT_ID, '_')}`
		const maxChars = Math.max(1, Math.floor(w / (12 * CHAR_WIDTH)))
		let out =
			`<rect class="tl-frame" width="${fmt(w)}" height="${fmt(h)}"` +
			` fill="${color(colorName, 'frameFill')}" stroke="${color(colorName, 'frameStroke')}"` +
			` stroke-width="1"/>` +
			`<text class="tl-frame-heading" x="0" y="-8" font-size="12"` +
			` font-family="${FONT_FAMILIES.sans}" fill="${color(colorName, 'frameText')}">` +
			`${esc(truncate(name, maxChars))}</text>` +
			`<clipPath id="${clip}"><rect width="${fmt(w)}" height="${fmt(h)}"/></clipPath>` +
			`<g clip-path="url(#${clip})">`
		return `${out}${children}</g>`
	}

	line(shape, props, m) {
		const handles = linePoints(props).map((p) => [num(get(p, 'x'), 0), num(get(p, 'y'), 0)])
		const points = lineVertices(handles, str(get(props, 'spline'), 'line'))
		this.extend(m, points)
		const sw = size(STROKE_SIZES, get(props, 'size')) * num(get(props, 'scale'), 1)
		const d = lineD(points)
		const stroke = strokeAttrs(color(get(props, 'color'), 'solid'), sw, get(props, 'dash'))
		return `<path class="tl-line" d="${d}" fill="none"${stroke}/>`
	}

	draw(shape, props, m) {
		const [points, closed] = this.drawStroke(props)
		this.extend(m, points)
		const colorName = get(props, 'color')
		const d = lineD(points) + (closed ? ' Z' : '')
		const sw = size(STROKE_SIZES, get(props, 'size')) * num(get(props, 'scale'), 1)
		let fill = 'none'
		if (get(props, 'isClosed') === true && closed) fill = this.fill(colorName, get(props, 'fill'))
		const stroke = strokeAttrs(color(colorName, 'solid'), sw, get(props, 'dash'))
		return `<path class="tl-draw" d="${d}" fill="${fill}"${stroke}/>`
	}

	highlight(shape, props, m) {
		const points = drawPoints(props)
		this.extend(m, points)
		const sw = size(FONT_SIZES, get(props, 'size')) * 1.12 * num(get(props, 'scale'), 1)
		return (
			`<path class="tl-highlight" d="${smoothD(points)}" fill="none"` +
			` stroke="${color(get(props, 'color'), 'highlightSrgb')}" stroke-width="${fmt(sw)}"` +
			` stroke-linecap="round" stroke-linejoin="round" stroke-opacity="0.7"/>`
		)
	}

	placeholder(shape, props, m) {
		const w = num(get(props, 'w'), 100)
		const h = num(get(props, 'h'), 100)
		this.extend(m, [
			[0, 0],
			[w, 0],
			[w, h],
			[0, h],
		])
		const asset = this.assets.get(str(get(props, 'assetId'), ''))
		const assetProps = asset !== undefined ? obj(get(asset, 'props')) : {}
		const kind = str(get(shape, 'type'), '')
		const [title, detailKeys] = has(PLACEHOLDER_LABELS, kind)
			? PLACEHOLDER_LABELS[kind]
			: [kind || 'shape', []]
		const sources = { props, asset: assetProps }
		let detail = ''
		for (const [source, key] of detailKeys) {
			detail = detail || str(get(sources[source], key), '')
		}
		const label = detail ? `${title}: ${detail}` : title
		const fontSize = 14
		const maxChars = Math.max(1, Math.floor((w - 16) / (fontSize * CHAR_WIDTH)))
		return (
			`<rect class="tl-placeholder" width="${fmt(w)}" height="${fmt(h)}" rx="4"` +
			` fill="${color('grey', 'semi')}" stroke="${color('grey', 'solid')}"` +
			` stroke-width="1.5" stroke-dasharray="6 4"/>` +
			`<text class="tl-placeholder-label" x="${fmt(w / 2)}" y="${fmt(h / 2)}"` +
			` font-size="${fontSize}" font-family="${FONT_FAMILIES.sans}"` +
			` fill="${color('black', 'solid')}" text-anchor="middle"` +
			` dominant-baseline="central">${esc(truncate(label, maxChars))}</text>`
		)
	}

	// arrows

	arrow(shape, props, m) {
		const record = this.source.get(shape.id)
		const body = arrowBody(this.source, record)
		const labelBox = arrowLabel(this.source, record, body)
		const scale = record.props.scale
		const sw = size(STROKE_SIZES, get(props, 'size')) * scale
		const stroke = color(get(props, 'color'), 'solid')
		this.extend(m, body)
		const first = body[0]
		const last = body[body.length - 1]
		let out =
			`<path class="tl-arrow-line" d="${lineD(body)}" fill="none"` +
			`${strokeAttrs(stroke, sw, get(props, 'dash'))}/>`
		const length = polylineLength(body)
		const head = Math.min(sw * 2.5 + 10, length * 0.4)
		if (head > 0) {
			const beforeEnd = body[body.length - 2]
			const endDir = unit(last[0] - beforeEnd[0], last[1] - beforeEnd[1])
			const startDir = unit(first[0] - body[1][0], first[1] - body[1][1])
			const startKind = has(props, 'arrowheadStart') ? props.arrowheadStart : 'none'
			const endKind = has(props, 'arrowheadEnd') ? props.arrowheadEnd : 'arrow'
			out += arrowhead(startKind, first, startDir, { length: head, sw, color: stroke })
			out += arrowhead(endKind, last, endDir, { length: head, sw, color: stroke })
		}
		if (labelBox !== null) {
			const fontSize = size(ARROW_LABEL_FONT_SIZES, get(props, 'size')) * scale
			const pad = ARROW.ARROW_LABEL_PADDING * scale
			const lines = wrapLines(shapeLines(props), get(props, 'font'), fontSize, labelBox.w - pad * 2)
			const top = labelBox.y + labelBox.h / 2 - (lines.length * fontSize * LINE_HEIGHT) / 2
			out +=
				`<rect class="tl-arrow-label-bg" x="${fmt(labelBox.x)}" y="${fmt(labelBox.y)}"` +
				` width="${fmt(labelBox.w)}" height="${fmt(labelBox.h)}" rx="4"` +
				` fill="${THEME.background}" fill-opacity="0.9"/>`
			out += text(lines, {
				x: labelBox.x + labelBox.w / 2,
				top,
				fontSize,
				family: font(get(props, 'font')),
				fill: color(get(props, 'labelColor'), 'solid'),
				anchor: 'middle',
				cls: 'tl-arrow-label',
			})
			this.extend(m, corners(labelBox))
		}
		const pageFirst = apply(m, first)
		const pageLast = apply(m, last)
		return (
			`<g class="tl-arrow" data-start="${fmt(pageFirst[0])},${fmt(pageFirst[1])}"` +
			` data-end="${fmt(pageLast[0])},${fmt(pageLast[1])}">${out}</g>`
		)
	}

	cursor(record, scale) {
		const cursor = obj(get(record, 'cursor'))
		const x = num(get(cursor, 'x'), 0)
		const y = num(get(cursor, 'y'), 0)
		const fill = color(get(record, 'color'), 'solid')
		const name = str(get(record, 'userName'), '')
		let out =
			`<g class="tl-cursor" data-presence-id="${esc(record.id)}"` +
			` data-user-name="${esc(name)}" transform="translate(${fmt(x)} ${fmt(y)})` +
			` scale(${fmt(scale)})">` +
			`<path d="M0 0 L0 17 L4.5 12.5 L7.5 19 L10.5 17.8 L7.6 11.3 L13 11.3 Z"` +
			` fill="${fill}" stroke="#ffffff" stroke-width="1.5" stroke-linejoin="round"/>`
		if (name) {
			const label = truncate(name, 32)
			const width = cpLen(label) * 12 * CHAR_WIDTH + 12
			out +=
				`<rect x="12" y="18" width="${fmt(width)}" height="20" rx="4" fill="${fill}"/>` +
				`<text x="18" y="28" font-size="12" font-family="${FONT_FAMILIES.sans}"` +
				` fill="#ffffff" dominant-baseline="central">${esc(label)}</text>`
		}
		return out + '</g>'
	}
}

function linePoints(props) {
	const points = get(props, 'points')
	let items = []
	if (isObj(points)) {
		for (const key of Object.keys(points).sort(compareStrings)) {
			if (isObj(points[key])) items.push(points[key])
		}
	} else if (Array.isArray(points)) {
		items = points.filter(isObj)
		return items
	}
	items.sort(
		(p, q) =>
			compareStrings(str(get(p, 'index'), ''), str(get(q, 'index'), '')) ||
			compareStrings(str(get(p, 'id'), ''), str(get(q, 'id'), ''))
	)
	return items
}

function drawPoints(props) {
	const segments = get(props, 'segments')
	if (!Array.isArray(segments)) return []
	const sx = num(get(props, 'scaleX'), 1)
	const sy = num(get(props, 'scaleY'), 1)
	return segments.flatMap((segment) =>
		segmentPoints(
			decodePoints(segment).map((q) => [q[0] * sx, q[1] * sy]),
			isObj(segment) && get(segment, 'type') === 'straight'
		)
	)
}

function arrowhead(kind, tip, direction, { length, sw, color: fill }) {
	if (typeof kind !== 'string' || kind === 'none') return ''
	const [dx, dy] = direction
	const nx = -dy
	const ny = dx
	const cos30 = Math.cos(Math.PI / 6)
	const sin30 = Math.sin(Math.PI / 6)
	const half = (length * sin30) / cos30
	const back = [tip[0] - dx * length, tip[1] - dy * length]
	const left = [back[0] + nx * half, back[1] + ny * half]
	const right = [back[0] - nx * half, back[1] - ny * half]
	const stroke =
		` stroke="${fill}" stroke-width="${fmt(sw)}" stroke-linecap="round"` +
		' stroke-linejoin="round"'
	const cls = `class="tl-arrowhead" data-arrowhead="${esc(kind)}"`
	if (kind === 'arrow') {
		return `<path ${cls} d="M${pt(left)} L${pt(tip)} L${pt(right)}" fill="none"${stroke}/>`
	}
	if (kind === 'triangle') {
		return `<path ${cls} d="M${pt(left)} L${pt(tip)} L${pt(right)} Z" fill="${fill}"${stroke}/>`
	}
	if (kind === 'inverted') {
		const a = [tip[0] + nx * half, tip[1] + ny * half]
		const b = [tip[0] - nx * half, tip[1] - ny * half]
		return `<path ${cls} d="M${pt(a)} L${pt(back)} L${pt(b)} Z" fill="${fill}"${stroke}/>`
	}
	if (kind === 'diamond') {
		const mid = [tip[0] - (dx * length) / 2, tip[1] - (dy * length) / 2]
		const a = [mid[0] + (nx * half) / 2, mid[1] + (ny * half) / 2]
		const b = [mid[0] - (nx * half) / 2, mid[1] - (ny * half) / 2]
		return (
			`<path ${cls} d="M${pt(tip)} L${pt(a)} L${pt(back)} L${pt(b)} Z" fill="${fill}"` +
			`${stroke}/>`
		)
	}
	if (kind === 'square') {
		const s = sw * 1.5 + 3
		const corners = [
			[tip[0] + (dx + nx) * s, tip[1] + (dy + ny) * s],
			[tip[0] + (dx - nx) * s, tip[1] + (dy - ny) * s],
			[tip[0] + (-dx - nx) * s, tip[1] + (-dy - ny) * s],
			[tip[0] + (-dx + nx) * s, tip[1] + (-dy + ny) * s],
		]
		return `<path ${cls} d="${polygonD(corners)}" fill="${fill}"${stroke}/>`
	}
	if (kind === 'dot') {
		return (
			`<circle ${cls} cx="${fmt(tip[0])}" cy="${fmt(tip[1])}" r="${fmt(sw * 1.5 + 2)}"` +
			` fill="${fill}"/>`
		)
	}
	if (kind === 'pipe' || kind === 'bar') {
		const a = [tip[0] + nx * half, tip[1] + ny * half]
		const b = [tip[0] - nx * half, tip[1] - ny * half]
		return `<path ${cls} d="M${pt(a)} L${pt(b)}" fill="none"${stroke}/>`
	}
	return ''
}

// -- shapes by type (shapes.py) -------------------------------------------------------------------

// A shape drawn under its children (every kind but frames and groups)
const thenChildren = (method) => (r, shape, props, m, children) =>
	r[method](shape, props, m) + children

// How each kind of shape is drawn, by type: (renderer, shape, props, matrix, children's SVG)
const SHAPES = {
	geo: thenChildren('geo'),
	text: thenChildren('textShape'),
	note: thenChildren('note'),
	frame: (r, shape, props, m, children) => r.frame(shape, props, m, children),
	group: (r, shape, props, m, children) => children,
	line: thenChildren('line'),
	draw: thenChildren('draw'),
	highlight: thenChildren('highlight'),
	arrow: thenChildren('arrow'),
}
const PLACEHOLDER = thenChildren('placeholder')

// a placeholder's title, and where its detail comes from: the first non-empty of these
const PLACEHOLDER_LABELS = {
	image: ['Image', [['props', 'altText'], ['asset', 'name']]],
	video: ['Video', [['props', 'altText'], ['asset', 'name']]],
	bookmark: ['Bookmark', [['asset', 'title'], ['props', 'url']]],
	embed: ['Embed', [['props', 'url']]],
}

// -- public rendering API -------------------------------------------------------------------------

/** One page of a room as SVG text (the same text as render.py's render_svg). */
export function renderSvg(records, options = {}) {
	const pageId = options.pageId === undefined ? null : options.pageId
	const padding = options.padding === undefined ? PADDING : options.padding
	const presence = options.presence === undefined ? true : options.presence
	const idPrefix = options.idPrefix === undefined ? 'tl' : options.idPrefix
	return new Renderer(recordsOf(records), pageId, idPrefix).render(padding, presence)
}

/** Draw records into `el` (the SVG fills it unless `fit: false`, keeping its aspect ratio);
 * from an anywidget, `render({model, el})` follows the model. */
export function render(el, records, options = {}) {
	if (el && el.model && el.el) return renderWidget(el)
	el.innerHTML = renderSvg(records, options)
	const svg = el.firstElementChild
	if (svg && svg.style && options.fit !== false) {
		svg.style.width = '100%'
		svg.style.height = '100%'
		svg.style.display = 'block'
	}
	return svg
}

// -- diffs (SPEC.md DF8, DF9) ---------------------------------------------------------------------

function isEqual(a, b) {
	if (a === b) return true
	if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b)
	if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
	if (Array.isArray(a) !== Array.isArray(b)) return false
	if (Array.isArray(a)) {
		if (a.length !== b.length) return false
		for (let i = 0; i < a.length; i++) if (!isEqual(a[i], b[i])) return false
		return true
	}
	const keys = Object.keys(a)
	if (keys.length !== Object.keys(b).length) return false
	for (const key of keys) if (!has(b, key) || !isEqual(a[key], b[key])) return false
	return true
}

/** @tldraw/sync-core 5.4.2's applyObjectDiff: copy-on-write; the same object when nothing
 * changed; appends (arrays and strings) only at the current length; patches only objects. */
export function applyObjectDiff(object, objectDiff) {
	if (!object || typeof object !== 'object') return object
	const isArray = Array.isArray(object)
	let newObject
	const set = (k, v) => {
		if (!newObject) newObject = isArray ? [...object] : { ...object }
		if (isArray) newObject[Number(k)] = v
		else newObject[k] = v
	}
	for (const [key, op] of Object.entries(objectDiff)) {
		switch (op[0]) {
			case 'put': {
				if (!isEqual(object[key], op[1])) set(key, op[1])
				break
			}
			case 'append': {
				const value = op[1]
				const offset = op[2]
				const current = object[key]
				if (Array.isArray(current) && Array.isArray(value) && current.length === offset) {
					set(key, [...current, ...value])
				} else if (
					typeof current === 'string' &&
					typeof value === 'string' &&
					current.length === offset
				) {
					set(key, current + value)
				}
				break
			}
			case 'patch': {
				const current = object[key]
				if (current && typeof current === 'object') {
					const patched = applyObjectDiff(current, op[1])
					if (patched !== current) set(key, patched)
				}
				break
			}
			case 'delete': {
				if (key in object) {
					if (!newObject) newObject = isArray ? [...object] : { ...object }
					delete newObject[key]
				}
				break
			}
		}
	}
	return newObject ?? object
}

/** Apply a NetworkDiff ({id: ['put', record] | ['patch', diff] | ['remove']}) to `records`
 * (an object of id -> record, changed in place); returns whether anything changed. */
export function applyDiff(records, diff) {
	let changed = false
	for (const [id, op] of Object.entries(diff || {})) {
		if (op[0] === 'put') {
			if (!isEqual(records[id], op[1])) {
				records[id] = op[1]
				changed = true
			}
		} else if (op[0] === 'patch') {
			if (has(records, id)) {
				const patched = applyObjectDiff(records[id], op[1])
				if (patched !== records[id]) {
					records[id] = patched
					changed = true
				}
			}
		} else if (op[0] === 'remove') {
			if (has(records, id)) {
				delete records[id]
				changed = true
			}
		}
	}
	return changed
}

// -- live connection ------------------------------------------------------------------------------

const PING_INTERVAL = 5000
const SILENCE_TIMEOUT = 20000
const MIN_BACKOFF = 250
const MAX_BACKOFF = 10000

function randomId() {
	const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
	let out = ''
	for (let i = 0; i < 21; i++) out += chars[Math.floor(Math.random() * chars.length)]
	return out
}

/** The schema endpoint next to a room's websocket:
 * ws://h/connect/<id>?q -> http://h/rooms/<id>/schema?q (the session's own parameters left out) */
export function schemaUrlFor(wsUrl) {
	const url = new URL(wsUrl)
	url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:'
	url.pathname = url.pathname.replace(/\/connect\/([^/]+)$/, '/rooms/$1/schema')
	for (const key of ['sessionId', 'storeId', 'readonly']) url.searchParams.delete(key)
	return url.toString()
}

/**
 * Join the room at `wsUrl` read-only (protocol 8) and keep `el` drawn as it changes.
 * Options: pageId, schema (else fetched from schemaUrl, default schemaUrlFor(wsUrl)),
 * onStatus(status, detail), onChange(records). Returns {records, close(), status}.
 */
export function connectLive(el, wsUrl, options = {}) {
	const url = new URL(wsUrl)
	if (!url.searchParams.has('sessionId')) url.searchParams.set('sessionId', randomId())
	if (!url.searchParams.has('readonly')) url.searchParams.set('readonly', '1')
	const live = {
		records: {},
		status: 'connecting',
		serverClock: -1,
		close,
	}
	let schema = options.schema || null
	let socket = null
	let closed = false
	let backoff = MIN_BACKOFF
	let retryTimer = null
	let pingTimer = null
	let lastMessageAt = 0
	let renderQueued = false

	function setStatus(status, detail) {
		live.status = status
		if (el && el.dataset) el.dataset.status = status
		if (options.onStatus) options.onStatus(status, detail)
	}

	function draw() {
		renderQueued = false
		if (el) render(el, live.records, { pageId: options.pageId })
		if (options.onChange) options.onChange(live.records)
	}

	function scheduleDraw() {
		if (renderQueued) return
		renderQueued = true
		const visible = typeof document !== 'undefined' && !document.hidden
		if (typeof requestAnimationFrame === 'function' && visible) {
			requestAnimationFrame(draw)
		} else {
			setTimeout(draw, 16)
		}
	}

	function retry() {
		if (closed) return
		setStatus('offline')
		clearTimeout(retryTimer)
		retryTimer = setTimeout(open, backoff)
		backoff = Math.min(MAX_BACKOFF, backoff * 2)
	}

	async function open() {
		if (closed) return
		setStatus('connecting')
		if (!schema) {
			try {
				const response = await fetch(options.schemaUrl || schemaUrlFor(url.toString()))
				if (!response.ok) throw new Error(`schema: HTTP ${response.status}`)
				schema = await response.json()
			} catch (error) {
				if (options.onStatus) options.onStatus('offline', String(error))
				retry()
				return
			}
			if (closed) return
		}
		const ws = new WebSocket(url.toString())
		socket = ws
		ws.onopen = () => {
			lastMessageAt = Date.now()
			ws.send(
				JSON.stringify({
					type: 'connect',
					connectRequestId: randomId(),
					schema,
					protocolVersion: 8,
					lastServerClock: live.serverClock,
				})
			)
		}
		ws.onmessage = (event) => {
			lastMessageAt = Date.now()
			let message
			try {
				message = JSON.parse(event.data)
			} catch {
				ws.close()
				return
			}
			handle(message)
		}
		ws.onclose = (event) => {
			if (socket !== ws) return
			socket = null
			clearInterval(pingTimer)
			if (event.code === 4099) {
				setStatus('error', event.reason || 'UNKNOWN_ERROR')
				return
			}
			retry()
		}
		ws.onerror = () => {}
	}

	function handle(message) {
		if (message.type === 'connect') {
			if (message.hydrationType === 'wipe_all') live.records = {}
			else {
				for (const id of Object.keys(live.records)) {
					if (live.records[id].typeName === 'instance_presence') delete live.records[id]
				}
			}
			applyDiff(live.records, message.diff)
			live.serverClock = message.serverClock
			backoff = MIN_BACKOFF
			setStatus('connected')
			clearInterval(pingTimer)
			pingTimer = setInterval(() => {
				if (!socket || socket.readyState !== 1) return
				if (Date.now() - lastMessageAt > SILENCE_TIMEOUT) {
					socket.close()
					return
				}
				socket.send(JSON.stringify({ type: 'ping' }))
			}, PING_INTERVAL)
			scheduleDraw()
		} else if (message.type === 'data') {
			for (const event of message.data || []) handleEvent(event)
		} else if (message.type === 'patch' || message.type === 'push_result') {
			handleEvent(message)
		} else if (message.type === 'incompatibility_error') {
			setStatus('error', message.reason)
			closed = true
			if (socket) socket.close()
		}
	}

	function handleEvent(event) {
		if (event.type !== 'patch') return
		if (applyDiff(live.records, event.diff)) scheduleDraw()
		live.serverClock = event.serverClock
	}

	function close() {
		closed = true
		clearTimeout(retryTimer)
		clearInterval(pingTimer)
		if (socket) {
			const ws = socket
			socket = null
			ws.close(1000)
		}
		setStatus('closed')
	}

	open()
	return live
}

// -- anywidget ------------------------------------------------------------------------------------

// The LiveView widget (tlsync_core/views/widget.py): the kernel sends the records, then one
// diff per transaction, each numbered; each one redraws the view.  A diff before the records is
// ignored (the records include it); a gap in the numbering asks for the records again.
function renderWidget({ model, el }) {
	let records = {}
	let seq = -1
	const view = document.createElement('div')
	view.className = 'tlsync-liveview'
	const resize = () => {
		view.style.height = model.get('height')
	}
	resize()
	el.appendChild(view)
	const onMessage = (message) => {
		if (message.type === 'records') {
			records = { ...message.records }
			seq = message.seq
			render(view, records)
		} else if (message.type === 'diff' && seq >= 0) {
			if (message.seq !== seq + 1) {
				seq = -1
				model.send({ type: 'ready' })
				return
			}
			seq = message.seq
			if (applyDiff(records, message.diff)) render(view, records)
		}
	}
	model.on('msg:custom', onMessage)
	model.on('change:height', resize)
	model.send({ type: 'ready' })
	return () => {
		model.off('msg:custom', onMessage)
		model.off('change:height', resize)
	}
}

export default { render: renderWidget }
