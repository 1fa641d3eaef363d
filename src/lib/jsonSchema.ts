import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

function newAjv() {
	// allErrors so a person sees every problem at once; strictSchema refuses unknown keywords
	// (usually typos) but the type and tuple checks that only nag are off.
	const ajv = new Ajv2020({
		allErrors: true,
		strictSchema: true,
		strictTypes: false,
		strictTuples: false,
		strictRequired: false,
		allowUnionTypes: true
	});
	addFormats.default(ajv);
	return ajv;
}

/** Why a JSON Schema text is unusable, or null when it compiles. */
export function checkJsonSchema(text: string): string | null {
	let schema: unknown;
	try {
		schema = JSON.parse(text);
	} catch (e) {
		return `Not valid JSON: ${(e as Error).message}`;
	}
	if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
		return 'A JSON Schema must be an object.';
	}
	try {
		newAjv().compile(schema as object);
		return null;
	} catch (e) {
		return `Not a valid JSON Schema: ${(e as Error).message}`;
	}
}

export function formatSchemaErrors(errors: ErrorObject[] | null | undefined): string {
	return (errors ?? [])
		.slice(0, 5)
		.map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`)
		.join('; ');
}

export type SchemaValidator = (value: unknown) => string | null;

/** A validator for a saved schema text; null text means anything goes. */
export function compileValidator(schemaText: string | null): SchemaValidator | null {
	if (!schemaText) return null;
	const validate: ValidateFunction = newAjv().compile(JSON.parse(schemaText));
	return (value) => (validate(value) ? null : formatSchemaErrors(validate.errors));
}
