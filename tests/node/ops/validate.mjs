// Ops that run @tldraw/validate on validators described in JSON.
//
// A description is a leaf name ("string", "number", "indexKey", ...; see LEAVES) or an object
// {"kind": ..., ...}:
//   {"kind": "literal", "value": v}            {"kind": "literalEnum", "values": [v, ...]}
//   {"kind": "nullable", "of": d}              {"kind": "optional", "of": d}
//   {"kind": "arrayOf", "of": d}               {"kind": "nonEmpty" | "lengthGreaterThan1", "of": d}
//   {"kind": "object", "shape": {k: d}, "allowUnknown": bool}
//   {"kind": "extend", "of": <object d>, "shape": {k: d}}
//   {"kind": "dict", "key": d, "value": d}     {"kind": "jsonDict"}
//   {"kind": "union", "key": k, "variants": {name: d}}
//   {"kind": "model", "name": n, "of": d}      {"kind": "or", "first": d, "second": d}
// tests/store/validator_descriptions.py builds the same tree in Python.

import { T } from '@tldraw/validate'

const LEAVES = {
	unknown: T.unknown,
	any: T.any,
	string: T.string,
	boolean: T.boolean,
	number: T.number,
	positiveNumber: T.positiveNumber,
	nonZeroNumber: T.nonZeroNumber,
	nonZeroFiniteNumber: T.nonZeroFiniteNumber,
	unitInterval: T.unitInterval,
	integer: T.integer,
	positiveInteger: T.positiveInteger,
	nonZeroInteger: T.nonZeroInteger,
	array: T.array,
	unknownObject: T.unknownObject,
	jsonValue: T.jsonValue,
	linkUrl: T.linkUrl,
	srcUrl: T.srcUrl,
	httpUrl: T.httpUrl,
	indexKey: T.indexKey,
}

function buildShape(shape) {
	return Object.fromEntries(Object.entries(shape).map(([key, d]) => [key, buildValidator(d)]))
}

export function buildValidator(description) {
	if (typeof description === 'string') {
		if (!Object.hasOwn(LEAVES, description)) throw new Error(`unknown validator ${description}`)
		return LEAVES[description]
	}
	const d = description
	switch (d.kind) {
		case 'literal':
			return T.literal(d.value)
		case 'literalEnum':
			return T.literalEnum(...d.values)
		case 'nullable':
			return buildValidator(d.of).nullable()
		case 'optional':
			return buildValidator(d.of).optional()
		case 'arrayOf':
			return T.arrayOf(buildValidator(d.of))
		case 'nonEmpty':
			return T.arrayOf(buildValidator(d.of)).nonEmpty()
		case 'lengthGreaterThan1':
			return T.arrayOf(buildValidator(d.of)).lengthGreaterThan1()
		case 'object': {
			const validator = T.object(buildShape(d.shape))
			return d.allowUnknown ? validator.allowUnknownProperties() : validator
		}
		case 'extend':
			return buildValidator(d.of).extend(buildShape(d.shape))
		case 'dict':
			return T.dict(buildValidator(d.key), buildValidator(d.value))
		case 'jsonDict':
			return T.jsonDict()
		case 'union':
			return T.union(d.key, buildShape(d.variants))
		case 'model':
			return T.model(d.name, buildValidator(d.of))
		case 'or':
			return T.or(buildValidator(d.first), buildValidator(d.second))
		default:
			throw new Error(`unknown validator kind ${JSON.stringify(d.kind)}`)
	}
}

// One validation: `value` absent means undefined; with `knownGood`, the known-good path.
function runValidation(validator, testCase) {
	const hasKnownGood = Object.hasOwn(testCase, 'knownGood')
	try {
		const value = hasKnownGood
			? validator.validateUsingKnownGoodVersion(testCase.knownGood, testCase.value)
			: validator.validate(testCase.value)
		return {
			ok: true,
			value,
			sameAsInput: Object.is(value, testCase.value),
			sameAsKnownGood: hasKnownGood ? Object.is(value, testCase.knownGood) : null,
		}
	} catch (error) {
		if (error instanceof T.ValidationError) {
			return {
				ok: false,
				name: error.name,
				message: error.message,
				rawMessage: error.rawMessage,
				path: error.path,
			}
		}
		return { ok: false, name: error?.name ?? 'Error', message: String(error?.message ?? error) }
	}
}

export const validateOps = {
	// {validator, value?, knownGood?} -> {ok, value, sameAsInput, sameAsKnownGood} | {ok: false, message, ...}
	validate: ({ validator, ...testCase }) => runValidation(buildValidator(validator), testCase),
	// {validator, cases: [{value?, knownGood?}]} -> [result, ...]
	validateMany: ({ validator, cases }) => {
		const built = buildValidator(validator)
		return cases.map((testCase) => runValidation(built, testCase))
	},
}
