// Drives headless Chromium for the browser tests (tests/view/test_live_browser.py,
// tests/editor_page/test_editor_page.py, tests/editor/editor_lab.py), with playwright-core.
//
// The browser is the machine's own (CHROMIUM, default /usr/bin/chromium): nothing is ever
// downloaded. Protocol: one JSON request per line on stdin, one JSON response per line on stdout.
//   request:  {"id": <any>, "op": "<name>", ...payload}
//   response: {"id": <same>, "result": ...} or {"id": <same>, "error": {"name", "message"}}
// Ops:
//   launch {executablePath}            start Chromium (a fresh profile, headless)
//   open {url, width, height}          open a page at url
//   waitFor {expression, timeout}      wait until the page expression is truthy; its value
//   evaluate {expression}              the page expression's value (JSON)
//   screenshot {path}                  save a PNG of the page
//   errors {}                          page errors and console errors seen so far
//   console {}                         every console message so far, as {type, text}
//   requests {}                        the URL of every request the pages made so far
//                                      (websockets included)
//   responses {}                       every HTTP response so far, as {url, status, ifNoneMatch}
//                                      (status: what playwright reports; a copy the server
//                                      confirmed with 304 shows as 200 or 304, by when chromium's
//                                      extra-info event came; ifNoneMatch: the request's validator)
//   reload {}                          reload the page (from the browser's cache where it may)
//   mouse {steps}                      mouse steps in page pixels, in order:
//                                      {move: [x, y]}, {down: true}, {up: true}
//   press {key}                        press a key (playwright's names: "Escape", "r")
//   close {}                           close the browser
// Closing stdin closes the browser and ends the process.

import { createInterface } from 'node:readline'
import { chromium } from 'playwright-core'

console.log = console.error
console.info = console.error

let browser = null
let page = null
const errors = []
const consoleMessages = []
const requests = []
const responses = []

const OPS = {
	async launch({ executablePath }) {
		browser = await chromium.launch({
			executablePath,
			headless: true,
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
			],
		})
		return { version: browser.version() }
	},
	async open({ url, width = 1200, height = 800 }) {
		page = await browser.newPage({ viewport: { width, height } })
		page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
		page.on('console', (message) => {
			consoleMessages.push({ type: message.type(), text: message.text() })
			if (message.type() === 'error') errors.push(`console: ${message.text()}`)
		})
		page.on('request', (request) => requests.push(request.url()))
		page.on('websocket', (socket) => requests.push(socket.url()))
		page.on('response', async (response) => {
			const sent = await response.request().allHeaders()
			const ifNoneMatch = sent['if-none-match'] ?? null
			responses.push({ url: response.url(), status: response.status(), ifNoneMatch })
		})
		await page.goto(url)
		return { title: await page.title() }
	},
	async waitFor({ expression, timeout = 10000 }) {
		const handle = await page.waitForFunction(expression, undefined, { timeout, polling: 50 })
		const value = await handle.jsonValue()
		await handle.dispose()
		return value
	},
	async evaluate({ expression }) {
		return await page.evaluate(expression)
	},
	async screenshot({ path }) {
		await page.screenshot({ path })
		return { path }
	},
	errors() {
		return errors
	},
	console() {
		return consoleMessages
	},
	requests() {
		return requests
	},
	responses() {
		return responses
	},
	async reload() {
		await page.reload()
		return { url: page.url() }
	},
	async mouse({ steps }) {
		for (const step of steps) {
			if (step.move) await page.mouse.move(step.move[0], step.move[1], { steps: 4 })
			else if (step.down) await page.mouse.down()
			else if (step.up) await page.mouse.up()
			else throw new Error(`unknown mouse step ${JSON.stringify(step)}`)
		}
		return { steps: steps.length }
	},
	async press({ key }) {
		await page.keyboard.press(key)
		return { key }
	},
	async close() {
		if (browser) await browser.close()
		browser = null
		return { closed: true }
	},
}

function send(response) {
	process.stdout.write(JSON.stringify(response) + '\n')
}

async function handle(line) {
	if (!line.trim()) return
	const { id = null, op, ...payload } = JSON.parse(line)
	if (!Object.hasOwn(OPS, op)) {
		send({ id, error: { name: 'UnknownOp', message: `unknown op ${op}` } })
		return
	}
	try {
		send({ id, result: (await OPS[op](payload)) ?? null })
	} catch (error) {
		send({ id, error: { name: error.name, message: error.message } })
	}
}

let queue = Promise.resolve()
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
	queue = queue.then(() => handle(line))
})
lines.on('close', () => {
	queue
		.then(() => OPS.close())
		.finally(() => process.exit(0))
})
