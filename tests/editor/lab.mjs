// tldraw's real Editor in a page, for the differential editor tests
// (tests/editor/test_editor_differential.py). Bundled with esbuild into a gitignored directory
// at test time; the page loads tldraw's own fonts (from @tldraw/assets, served on loopback)
// before anything is measured. Everything the test asks goes through window.lab:
//   lab.ready()                     the fonts are loaded (a promise)
//   lab.load(records)               a fresh editor holding these records (page, shapes, bindings)
//   lab.records()                   the shape and binding records it holds
//   lab.read(ids, points, margin)   texts, page bounds, hits at points, sizes of shapes
//   lab.apply(op, ids, args)        run an arranging method; the shape and binding records after,
//                                   and the shapes it selected (duplicate: the copies)
//   lab.create(partial)             create a shape through the editor; the record it stored
//   lab.measure(texts, font, size, maxWidth)  the editor's text measurements
//   lab.exported(ids)               each shape exported alone (editor.getSvgString, no padding):
//                                   the page box of its export's viewBox, or null when the
//                                   export has nothing of it
//   lab.drawn(svg, classes)         in an SVG of ours (tlsync_core.views), the page box of each
//                                   shape's own elements of these classes (a <g data-shape-id>'s,
//                                   not its children's; a group's: all of theirs): paths walked
//                                   a unit at a time, other
//                                   elements by their bounding boxes' corners; null without any

import {
	Editor,
	createTLStore,
	defaultAddFontsFromNode,
	defaultBindingUtils,
	defaultShapeTools,
	defaultShapeUtils,
	defaultTools,
	fitFrameToContent,
	tipTapDefaultExtensions,
} from 'tldraw'

let editor = null

// served by the lab's server (editor_lab.py), at the addresses tldraw's exports embed them from
const FONTS = ['tldraw_draw', 'tldraw_sans', 'tldraw_serif', 'tldraw_mono']

async function ready() {
	for (const family of FONTS) {
		const face = new FontFace(family, `url(/${family})`, { weight: 'normal', style: 'normal' })
		await face.load()
		document.fonts.add(face)
	}
	await document.fonts.ready
	return FONTS.map((family) => document.fonts.check(`24px ${family}`))
}

function load(records) {
	if (editor) {
		editor.dispose()
		document.getElementById('editor').replaceChildren()
	}
	const container = document.getElementById('editor')
	const store = createTLStore({ shapeUtils: defaultShapeUtils, bindingUtils: defaultBindingUtils })
	editor = new Editor({
		store,
		shapeUtils: defaultShapeUtils,
		bindingUtils: defaultBindingUtils,
		tools: [...defaultTools, ...defaultShapeTools],
		getContainer: () => container,
		initialState: 'select',
		options: {
			text: {
				addFontsFromNode: defaultAddFontsFromNode,
				tipTapConfig: { extensions: tipTapDefaultExtensions },
			},
		},
	})
	const pages = records.filter((r) => r.typeName === 'page')
	const shapes = records.filter((r) => r.typeName === 'shape')
	const bindings = records.filter((r) => r.typeName === 'binding')
	// put the records as they are, as a sync client receives them from the server
	editor.store.mergeRemoteChanges(() => {
		editor.store.put([...pages, ...shapes, ...bindings])
	})
	if (pages.length) editor.setCurrentPage(pages[0].id)
	return editor.getCurrentPageShapeIds().size
}

function box(b) {
	return b ? { x: b.x, y: b.y, w: b.w, h: b.h } : null
}

function read(ids, points, margin, hitInside) {
	const texts = {}
	const bounds = {}
	for (const id of ids) {
		const shape = editor.getShape(id)
		texts[id] = editor.getShapeUtil(shape).getText(shape) ?? ''
		bounds[id] = box(editor.getShapePageBounds(id))
	}
	const hits = points.map((p) =>
		editor.getShapesAtPoint(p, { margin, hitInside }).map((s) => s.id)
	)
	return { texts, bounds, hits }
}

function records() {
	return [...editor.store.allRecords()].filter(
		(r) => r.typeName === 'shape' || r.typeName === 'binding'
	)
}

const OPS = {
	bring_to_front: (ids) => editor.bringToFront(ids),
	send_to_back: (ids) => editor.sendToBack(ids),
	bring_forward: (ids) => editor.bringForward(ids),
	send_backward: (ids) => editor.sendBackward(ids),
	group: (ids, { id }) => editor.groupShapes(ids, { groupId: id, select: false }),
	ungroup: (ids) => editor.ungroupShapes(ids, { select: false }),
	align: (ids, { how }) => editor.alignShapes(ids, how),
	distribute: (ids, { how }) => editor.distributeShapes(ids, how),
	stack: (ids, { how, gap }) => editor.stackShapes(ids, how, gap),
	rotate: (ids, { radians }) => editor.rotateShapesBy(ids, radians),
	reparent: (ids, { parent }) => editor.reparentShapes(ids, parent),
	delete: (ids) => editor.deleteShapes(ids),
	duplicate: (ids, { offset }) => editor.duplicateShapes(ids, offset),
	// the "frame selection" action at zoom 1, with a given frame id
	frame_around: (ids, { id }) => {
		const shapes = ids.map((i) => editor.getShape(i))
		const bounds = editor.getShapesPageBounds(ids)
		const parentId = editor.findCommonAncestor(shapes) ?? editor.getCurrentPageId()
		editor.createShapes([
			{ id, type: 'frame', parentId, x: bounds.x, y: bounds.y, props: { w: bounds.w, h: bounds.h } },
		])
		editor.reparentShapes(ids, id)
		fitFrameToContent(editor, id, { padding: 25 })
	},
}

function apply(op, ids, args) {
	editor.selectNone()
	editor.run(() => OPS[op](ids, args ?? {}), { ignoreShapeLock: true })
	return { records: records(), selected: editor.getSelectedShapeIds() }
}

function create(partial) {
	editor.createShapes([partial])
	return editor.getShape(partial.id)
}

function measure(texts, font, fontSize, maxWidth) {
	return texts.map((text) => {
		const box = editor.textMeasure.measureText(text, {
			fontFamily: `tldraw_${font}`,
			fontSize,
			lineHeight: 1.35,
			fontWeight: 'normal',
			fontStyle: 'normal',
			padding: '0px',
			maxWidth,
		})
		return { w: box.w, h: box.h }
	})
}

async function exported(ids) {
	const result = {}
	for (const id of ids) {
		const svg = await editor.getSvgString([id], { padding: 0, background: false })
		const view = svg && /viewBox="([^"]+)"/.exec(svg.svg)
		const [x, y, w, h] = view ? view[1].split(/[ ,]+/).map(Number) : []
		result[id] = view ? { x, y, w, h } : null
	}
	return result
}

// the points of an element in its own coordinates that bound it
function outlinePoints(element) {
	if (element instanceof SVGPathElement) {
		const length = element.getTotalLength()
		const steps = Math.max(1, Math.ceil(length))
		const points = []
		for (let i = 0; i <= steps; i++) points.push(element.getPointAtLength((length * i) / steps))
		return points
	}
	const b = element.getBBox()
	return [
		{ x: b.x, y: b.y },
		{ x: b.x + b.width, y: b.y },
		{ x: b.x + b.width, y: b.y + b.height },
		{ x: b.x, y: b.y + b.height },
	]
}

function drawn(svg, classes) {
	// in a shadow root, out of reach of tldraw's stylesheet (it styles classes like ours)
	const host = document.createElement('div')
	host.attachShadow({ mode: 'open' }).innerHTML = svg
	document.body.append(host)
	const root = host.shadowRoot.querySelector('svg')
	const toPage = root.getScreenCTM().inverse()
	const result = {}
	for (const shape of root.querySelectorAll('g[data-shape-id]')) {
		const xs = []
		const ys = []
		for (const element of shape.querySelectorAll(classes.map((c) => '.' + c).join(','))) {
			const group = shape.getAttribute('data-shape-type') === 'group'
			if (!group && element.closest('g[data-shape-id]') !== shape) continue
			const matrix = toPage.multiply(element.getScreenCTM())
			for (const p of outlinePoints(element)) {
				const q = new DOMPoint(p.x, p.y).matrixTransform(matrix)
				xs.push(q.x)
				ys.push(q.y)
			}
		}
		const id = shape.getAttribute('data-shape-id')
		const [x, y] = [Math.min(...xs), Math.min(...ys)]
		result[id] = xs.length ? { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y } : null
	}
	host.remove()
	return result
}

window.lab = { ready, load, read, apply, create, records, measure, exported, drawn }
