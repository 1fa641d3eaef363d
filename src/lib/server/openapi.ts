// The OpenAPI description of /api/v1. Every route needs a bearer token (a personal access token
// made on the Account page); errors are JSON: {"message", "issues"?: {field: [messages]}}.
// Every operation is generated from its zod schemas in api/contract.ts.
import { z } from 'zod';
import { OPERATIONS, type Operation } from '../api/contract';

const DOCUMENT = {
	openapi: '3.1.0',
	info: { title: 'Winnow API', version: '1' },
	servers: [{ url: '/api/v1' }],
	security: [{ bearer: [] }],
	components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }
} as const;

/** A zod schema as the JSON Schema (draft 2020-12, which OpenAPI 3.1 uses) it stands for. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): object {
	// Transforms (a form's checkbox, a blank that means "none") have no JSON Schema: any value.
	const described: Record<string, unknown> = z.toJSONSchema(schema, {
		io,
		unrepresentable: 'any'
	});
	// The document states its dialect once, not in every schema.
	delete described.$schema;
	return described;
}

function parametersOf(fields: z.ZodObject | undefined, where: 'path' | 'query') {
	return Object.entries(fields?.shape ?? {}).map(([name, field]) => ({
		name,
		in: where,
		required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
		schema: jsonSchemaOf(field as z.ZodType, 'output')
	}));
}

/** A body's content: JSON unless other media types are named, each then with the same schema. */
function contentOf(
	schema: z.ZodType,
	io: 'input' | 'output',
	mediaTypes: readonly string[] = ['application/json']
) {
	const described = jsonSchemaOf(schema, io);
	return Object.fromEntries(mediaTypes.map((type) => [type, { schema: described }]));
}

function describedOperation(operationId: string, operation: Operation) {
	const parameters = [
		...parametersOf(operation.params, 'path'),
		...parametersOf(operation.query, 'query')
	];
	return {
		operationId,
		summary: operation.summary,
		// The one way to a first token needs none.
		...(operation.access === 'anyone' ? { security: [] } : {}),
		...(parameters.length > 0 ? { parameters } : {}),
		...(operation.body
			? {
					requestBody: {
						required: true,
						content: contentOf(operation.body, 'input', operation.bodyMediaTypes)
					}
				}
			: {}),
		responses: Object.fromEntries(
			Object.entries(operation.responses).map(([status, response]) => [
				status,
				{
					description: response.description,
					content: contentOf(response.schema, 'output', response.mediaTypes)
				}
			])
		)
	};
}

function withGeneratedPaths() {
	const paths: Record<string, Record<string, object>> = {};
	for (const [operationId, operation] of Object.entries(OPERATIONS) as [string, Operation][]) {
		paths[operation.path] = {
			...paths[operation.path],
			[operation.method]: describedOperation(operationId, operation)
		};
	}
	return { ...DOCUMENT, paths };
}

export const OPENAPI_DOCUMENT = withGeneratedPaths();
