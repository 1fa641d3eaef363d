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

/** Every value a schema allows, for a message: at most eight, quoted as JSON. */
function allowed(values: unknown[]): string {
	const shown = values.slice(0, 8).map((v) => JSON.stringify(v));
	return values.length > 8
		? `${shown.join(', ')} (and ${values.length - 8} more)`
		: shown.join(', ');
}

/** What a schema error says to a person: where, what is wrong, and what would be valid. */
function errorMessage(e: ErrorObject): string {
	const where = e.instancePath || '(root)';
	const params = e.params as Record<string, unknown>;
	switch (e.keyword) {
		case 'enum':
			return `${where} must be one of ${allowed(params.allowedValues as unknown[])}`;
		case 'const':
			return `${where} must be ${JSON.stringify(params.allowedValue)}`;
		case 'additionalProperties':
			return `${where} must NOT have additional properties: '${String(params.additionalProperty)}' is not in the schema`;
		default:
			return `${where} ${e.message ?? 'is invalid'}`;
	}
}

export function formatSchemaErrors(errors: ErrorObject[] | null | undefined): string {
	return (errors ?? []).slice(0, 5).map(errorMessage).join('; ');
}

export type SchemaValidator = (value: unknown) => string | null;

/** A validator for a saved schema text; null text means anything goes. */
export function compileValidator(schemaText: string | null): SchemaValidator | null {
	if (!schemaText) return null;
	const validate: ValidateFunction = newAjv().compile(JSON.parse(schemaText));
	return (value) => (validate(value) ? null : formatSchemaErrors(validate.errors));
}
