// Ops that run @tldraw/tlschema 5.4.2's default schema: checks for tlsync_core.tldraw.
//
//   tldrawSerializeSchema()                       -> createTLSchema().serialize()
//   tldrawValidateRecord({record, recordBefore?}) -> {ok: validated} or {error: message}
//   tldrawValidateRecords({cases: [{record, recordBefore?}]}) -> [the same, per case]
//   tldrawMigrateRecord({record, fromSchema, direction}) -> migratePersistedRecord's result
//   tldrawMigrateRecords({cases: [...]})          -> [the same, per case]
//   tldrawRunMigrations({cases: [{id, direction, value}]}) -> [{ok: result} or {error}]: one
//                                                     migration of the default schema, run as
//                                                     tlschema's own tests run it (getTestMigration:
//                                                     no filter; a storage migration gets a Map of
//                                                     the {id: record} object)
//   tldrawMigrateSnapshot({snapshot: {store, schema}}) -> schema.migrateStoreSnapshot's result
//   tldrawB64Vecs({calls: [[method, ...args]]})       -> [{ok: result} or {error}]: b64Vecs's
//                                                     static methods, plus numberToFloat16Bits
//   tldrawEnsureStoreIsUsable({records?, defaultName?}) -> the store's records (sorted by id)
//                                                     after the integrity checker ran
//   tldrawInfo()                                  -> what scripts/gen-tldraw-data writes
//   tldrawRng({seeds, count})                     -> [the first count numbers of rng(seed)]:
//                                                     @tldraw/utils' seeded generator, per seed
//
// Validation goes through schema.validateRecord with tldraw's own onValidationFailure (which
// rethrows), in the 'createRecord' phase, without a store (tldraw's hook does not use it).

import { readFileSync } from 'node:fs'
import { rng } from '@tldraw/utils'
import { Store } from '@tldraw/store'
import {
	EnumStyleProp,
	b64Vecs,
	StyleProp,
	createTLSchema,
	defaultAssetSchemas,
	defaultBindingSchemas,
	defaultShapeSchemas,
} from '@tldraw/tlschema'

const schema = createTLSchema()

const TLSCHEMA_VERSION = JSON.parse(
	readFileSync(new URL('../node_modules/@tldraw/tlschema/package.json', import.meta.url), 'utf8')
).version

function validate({ record, recordBefore = null }) {
	try {
		return { ok: schema.validateRecord(null, record, 'createRecord', recordBefore) }
	} catch (error) {
		return { error: error?.message ?? String(error), name: error?.name }
	}
}

function migrate({ record, fromSchema, direction = 'up' }) {
	try {
		return schema.migratePersistedRecord(record, fromSchema, direction)
	} catch (error) {
		return { type: 'exception', error: `${error?.name}: ${error?.message}` }
	}
}

const SAMPLES = {
	string: '',
	number: 0,
	boolean: false,
	null: null,
	undefined: undefined,
	object: {},
	array: [],
}

// A coarse, deterministic description of a validator: a style prop's id, or the validator's
// class and which simple sample values it accepts.
function describeValidator(validator) {
	if (validator instanceof StyleProp) return `style:${validator.id}`
	const accepts = Object.entries(SAMPLES)
		.filter(([, sample]) => {
			try {
				validator.validate(sample)
				return true
			} catch {
				return false
			}
		})
		.map(([name]) => name)
	return `${validator.constructor.name}(${accepts.join('|')})`
}

function describeProps(schemas) {
	return Object.fromEntries(
		Object.entries(schemas).map(([type, { props }]) => [
			type,
			Object.fromEntries(Object.entries(props ?? {}).map(([k, v]) => [k, describeValidator(v)])),
		])
	)
}

function styleInfo() {
	const styles = {}
	for (const { props } of Object.values(defaultShapeSchemas)) {
		for (const prop of Object.values(props ?? {})) {
			if (prop instanceof EnumStyleProp) {
				styles[prop.id] = { default: prop.defaultValue, values: [...prop.values] }
			}
		}
	}
	return Object.fromEntries(Object.entries(styles).sort(([a], [b]) => (a < b ? -1 : 1)))
}

function recordTypeInfo() {
	return Object.fromEntries(
		Object.entries(schema.types).map(([typeName, type]) => [
			typeName,
			{
				scope: type.scope,
				ephemeralKeys: Object.entries(type.ephemeralKeys ?? {})
					.filter(([, ephemeral]) => ephemeral)
					.map(([key]) => key),
				defaults: type.createDefaultProperties(),
			},
		])
	)
}

function runMigration({ id, direction, value }) {
	try {
		const migration = schema.sortedMigrations.find((m) => m.id === id)
		if (!migration) throw new Error(`Migration ${id} not found`)
		const fn = direction === 'down' ? migration.down : migration.up
		if (typeof fn !== 'function') throw new Error(`Migration ${id} has no ${direction}`)
		if (migration.scope === 'storage') {
			const storage = new Map(Object.entries(structuredClone(value)))
			fn(storage)
			return { ok: Object.fromEntries(storage.entries()) }
		}
		const copy = structuredClone(value)
		return { ok: fn(copy) ?? copy }
	} catch (error) {
		return { error: `${error?.name}: ${error?.message}` }
	}
}

const B64_FUNCTIONS = {
	...Object.fromEntries(
		Object.getOwnPropertyNames(b64Vecs)
			.filter((name) => typeof b64Vecs[name] === 'function')
			.map((name) => [name, (...args) => b64Vecs[name](...args)])
	),
	// the fallback float16 conversion node 20 uses, through a DataView round trip
	numberToFloat16Bits: (value) => {
		const view = new DataView(new ArrayBuffer(6))
		const encoded = b64Vecs._legacyEncodePoint(value, 0, 0)
		const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0))
		bytes.forEach((b, i) => view.setUint8(i, b))
		return view.getUint16(0, true)
	},
}

function callB64([name, ...args]) {
	try {
		if (!Object.hasOwn(B64_FUNCTIONS, name)) throw new Error(`unknown function ${name}`)
		return { ok: B64_FUNCTIONS[name](...args) }
	} catch (error) {
		return { error: `${error?.name}: ${error?.message}` }
	}
}

function ensureStoreIsUsable({ records = [], defaultName = '' }) {
	const store = new Store({ schema, props: { defaultName } })
	try {
		store.mergeRemoteChanges(() => {
			if (records.length) store.put(records)
		})
		store.ensureStoreIsUsable()
		return store.allRecords().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
	} finally {
		store.dispose()
	}
}

export const tldrawOps = {
	tldrawSerializeSchema: () => schema.serialize(),
	tldrawValidateRecord: validate,
	tldrawValidateRecords: ({ cases }) => cases.map(validate),
	tldrawMigrateRecord: migrate,
	tldrawMigrateRecords: ({ cases }) => cases.map(migrate),
	tldrawMigrateSnapshot: ({ snapshot }) => {
		try {
			return schema.migrateStoreSnapshot(snapshot)
		} catch (error) {
			return { type: 'exception', error: `${error?.name}: ${error?.message}` }
		}
	},
	tldrawRunMigrations: ({ cases }) => cases.map(runMigration),
	tldrawB64Vecs: ({ calls }) => calls.map(callB64),
	tldrawEnsureStoreIsUsable: ensureStoreIsUsable,
	tldrawRng: ({ seeds, count }) =>
		seeds.map((seed) => {
			const next = rng(seed)
			return Array.from({ length: count }, () => next())
		}),
	tldrawInfo: () => ({
		version: TLSCHEMA_VERSION,
		schema: schema.serialize(),
		sequences: Object.fromEntries(
			Object.values(schema.migrations).map((s) => [
				s.sequenceId,
				{ retroactive: s.retroactive, ids: s.sequence.map((m) => m.id) },
			])
		),
		sortedMigrationIds: schema.sortedMigrations.map((m) => m.id),
		styles: styleInfo(),
		recordTypes: recordTypeInfo(),
		shapeProps: describeProps(defaultShapeSchemas),
		bindingProps: describeProps(defaultBindingSchemas),
		assetProps: describeProps(defaultAssetSchemas),
	}),
}
