// The API's contract, checked against the built server: every operation the OpenAPI document
// generates from its zod schemas is called with good and bad input, each answer's status must
// be one the document declares, and its body must validate against the document's schema for
// that status (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses).
import { expect, request, test } from '@playwright/test';
import { asc, eq } from 'drizzle-orm';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { OperationId } from '../../src/lib/api/contract';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { importExamples } from '../../src/lib/server/import';
import { claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { example } from '../../src/lib/server/db/schema';
import { addMember, createProject } from '../../src/lib/server/projects';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { BASE_URL, e2eDb, ensureUser } from '../support/e2e';
import type { Call, ContractContext } from '../support/contract/calls';
import { AREA_CALLS } from '../support/contract';

type Described = {
	operationId?: string;
	requestBody?: { content: Record<string, unknown> };
	responses: Record<string, { content?: Record<string, { schema: object }> }>;
};

test('every described operation answers only the statuses and shapes the document declares', async () => {
	const db = e2eDb();
	const admin = await ensureUser('contract-admin', 'admin');
	const member = await ensureUser('contract-member', 'annotator');
	const outsider = await ensureUser('contract-outsider', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `Contract ${Date.now()}`,
			reviewsRequired: '2',
			requirements: [{ name: 'Correct', description: 'Says what is true.' }]
		}),
		admin.id
	);
	await addMember(db, project.id, member.id);
	async function* rows() {
		yield '{"input": "Where is my parcel?", "output": "On its way.", "tags": ["shipping"]}\n';
		yield '{"input": "Can I pay later?"}\n';
	}
	const imported = await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'contract.jsonl',
		userId: admin.id
	});
	expect(imported.ok).toBe(true);
	const [answered, unanswered] = (
		await db
			.select({ id: example.id })
			.from(example)
			.where(eq(example.projectId, project.id))
			.orderBy(asc(example.id))
	).map((e) => e.id);
	const joiner = await ensureUser('contract-joiner', 'annotator');
	await addMember(db, project.id, joiner.id);
	// Two reviews far apart make the answered example a dispute.
	for (const [person, rating] of [
		[member.id, 5],
		[joiner.id, 2]
	] as const) {
		const claimed = (await claimNext(db, project.id, person, new Date()))!;
		expect(claimed.exampleId).toBe(answered);
		const saved = await submitReview(
			db,
			project.id,
			person,
			{
				exampleId: claimed.exampleId,
				revisionId: claimed.revisionId,
				rating,
				decision: rating >= 4 ? 'accept' : 'reject',
				requirementRatings: new Map(),
				submissionKey: `contract-${person}`
			},
			new Date()
		);
		expect(saved.ok).toBe(true);
	}
	await ensureUser('contract-newcomer', 'annotator');
	const tokens = {
		admin: (await createApiToken(db, admin.id, 'contract')).token,
		member: (await createApiToken(db, member.id, 'contract')).token,
		outsider: (await createApiToken(db, outsider.id, 'contract')).token
	};
	const undos: (() => Promise<void>)[] = [];
	const context: ContractContext = {
		db,
		admin,
		member,
		outsider,
		tokens,
		project,
		afterwards: (undo) => undos.push(undo)
	};
	const good = { name: `Made over the API ${Date.now()}`, instruction: 'Answer briefly.' };
	const areaCalls: Partial<Record<OperationId, Call[]>> = {};
	// An operation's calls from several areas (a start refused in an archived project) add up.
	for (const calls of AREA_CALLS) {
		for (const [id, more] of Object.entries(await calls(context)) as [OperationId, Call[]][]) {
			areaCalls[id] = [...(areaCalls[id] ?? []), ...more];
		}
	}
	// Every operation needs its calls, an area's or these: the loop below checks each has some.
	const calls: Partial<Record<OperationId, Call[]>> = {
		...areaCalls,
		listProjects: [
			{ as: 'member', status: 200 },
			{ as: null, status: 401 }
		],
		createProject: [
			{
				as: 'admin',
				body: { ...good, requirements: [{ name: 'Brief', description: '' }] },
				status: 201
			},
			{ as: 'admin', body: { ...good, splitTrain: 50 }, status: 400 },
			{ as: 'admin', body: ['not', 'an', 'object'], status: 400 },
			{ as: 'member', body: good, status: 403 },
			{ as: null, body: good, status: 401 }
		],
		getProject: [
			{ as: 'member', params: { id: project.id }, status: 200 },
			{ as: 'outsider', params: { id: project.id }, status: 404 },
			{ as: 'admin', params: { id: 999_999_999 }, status: 404 },
			{ as: null, params: { id: project.id }, status: 401 }
		],
		updateProject: [
			{
				as: 'admin',
				params: { id: project.id },
				body: { instruction: 'Answer in one line.', queue: { leaseMinutes: 20 } },
				status: 200
			},
			{ as: 'admin', params: { id: project.id }, body: { splitTrain: 50 }, status: 400 },
			{
				as: 'admin',
				params: { id: project.id },
				body: { queue: { leaseMinutes: 0 } },
				status: 400
			},
			{ as: 'admin', params: { id: project.id }, body: { nmae: 'Typo' }, status: 400 },
			// The project has examples of text already.
			{ as: 'admin', params: { id: project.id }, body: { outputKind: 'json' }, status: 409 },
			{ as: 'member', params: { id: project.id }, body: { name: 'Mine' }, status: 403 },
			{ as: 'outsider', params: { id: project.id }, body: { name: 'Mine' }, status: 404 },
			{ as: null, params: { id: project.id }, body: { name: 'Mine' }, status: 401 }
		],
		listExamples: [
			{ as: 'admin', params: { id: project.id }, status: 200 },
			{
				as: 'member',
				params: { id: project.id },
				query: { status: 'queued', split: 'train' },
				status: 200
			},
			{ as: 'member', params: { id: project.id }, query: { status: 'finished' }, status: 400 },
			{ as: 'outsider', params: { id: project.id }, status: 404 },
			{ as: null, params: { id: project.id }, status: 401 }
		],
		listDisputes: [
			{ as: 'admin', params: { id: project.id }, query: { order: 'spread' }, status: 200 },
			{ as: 'admin', params: { id: project.id }, query: { order: 'loudest' }, status: 400 },
			{ as: 'member', params: { id: project.id }, status: 403 },
			{ as: 'outsider', params: { id: project.id }, status: 404 },
			{ as: null, params: { id: project.id }, status: 401 }
		],
		resolveDispute: [
			{
				as: 'admin',
				params: { id: project.id, exampleId: answered },
				body: { decision: 'maybe' },
				status: 400
			},
			{
				as: 'admin',
				params: { id: project.id, exampleId: answered },
				body: { rating: 4, decision: 'accept', reason: 'Right, if brief.' },
				status: 200
			},
			{
				as: 'admin',
				params: { id: project.id, exampleId: answered },
				body: { rating: 4, decision: 'accept', reason: 'Again.' },
				status: 409
			},
			{
				as: 'admin',
				params: { id: project.id, exampleId: 999_999_999 },
				body: { rating: 4, decision: 'accept', reason: 'Nothing there.' },
				status: 404
			},
			{ as: 'member', params: { id: project.id, exampleId: answered }, body: {}, status: 403 },
			{ as: null, params: { id: project.id, exampleId: answered }, body: {}, status: 401 }
		],
		markGold: [
			{
				as: 'admin',
				params: { id: project.id, exampleId: answered },
				body: { goldRating: 7 },
				status: 400
			},
			{
				as: 'admin',
				params: { id: project.id, exampleId: unanswered },
				body: { goldRating: 5 },
				status: 409
			},
			{
				as: 'admin',
				params: { id: project.id, exampleId: answered },
				body: { goldRating: 5 },
				status: 200
			},
			{
				as: 'member',
				params: { id: project.id, exampleId: answered },
				body: { goldRating: 5 },
				status: 403
			},
			{
				as: null,
				params: { id: project.id, exampleId: answered },
				body: { goldRating: 5 },
				status: 401
			}
		],
		unmarkGold: [
			{ as: 'admin', params: { id: project.id, exampleId: answered }, status: 200 },
			{ as: 'admin', params: { id: project.id, exampleId: answered }, status: 409 },
			{ as: 'admin', params: { id: project.id, exampleId: 999_999_999 }, status: 404 },
			{ as: 'member', params: { id: project.id, exampleId: answered }, status: 403 },
			{ as: null, params: { id: project.id, exampleId: answered }, status: 401 }
		],
		listMembers: [
			{ as: 'admin', params: { id: project.id }, status: 200 },
			{ as: 'member', params: { id: project.id }, status: 403 },
			{ as: 'outsider', params: { id: project.id }, status: 404 },
			{ as: null, params: { id: project.id }, status: 401 }
		],
		addMember: [
			{
				as: 'admin',
				params: { id: project.id },
				body: { username: 'contract-newcomer' },
				status: 201
			},
			{
				as: 'admin',
				params: { id: project.id },
				body: { username: 'Contract-Newcomer' },
				status: 200
			},
			{
				as: 'admin',
				params: { id: project.id },
				body: { username: 'no-such-person' },
				status: 400
			},
			{ as: 'admin', params: { id: project.id }, body: {}, status: 400 },
			{
				as: 'member',
				params: { id: project.id },
				body: { username: 'contract-newcomer' },
				status: 403
			},
			{ as: null, params: { id: project.id }, body: { username: 'contract-newcomer' }, status: 401 }
		],
		removeMember: [
			{ as: 'admin', params: { id: project.id, username: 'contract-joiner' }, status: 200 },
			{ as: 'admin', params: { id: project.id, username: 'contract-joiner' }, status: 404 },
			{ as: 'member', params: { id: project.id, username: 'contract-newcomer' }, status: 403 },
			{ as: null, params: { id: project.id, username: 'contract-newcomer' }, status: 401 }
		]
	};

	const api = await request.newContext({ baseURL: BASE_URL });
	const document = await (await api.get('/api/v1/openapi.json')).json();
	const ajv = new Ajv2020({ strict: false, allErrors: true });
	addFormats.default(ajv);

	const handWritten: string[] = [];
	let checked = 0;
	for (const [path, operations] of Object.entries(document.paths as Record<string, object>)) {
		for (const [method, described] of Object.entries(operations as Record<string, Described>)) {
			if (!described.operationId) {
				handWritten.push(`${method} ${path}`);
				continue;
			}
			const cases = calls[described.operationId as OperationId];
			expect(cases, `no calls for ${described.operationId}`).toBeDefined();
			for (const call of cases!) {
				const query = new URLSearchParams(call.query ?? {}).toString();
				const url = `/api/v1${path.replace(/\{(\w+)\}/g, (_, name: string) => String(call.params?.[name]))}${query ? `?${query}` : ''}`;
				const headers: Record<string, string> = call.as
					? { authorization: `Bearer ${tokens[call.as]}` }
					: {};
				if (call.mediaType) {
					expect(Object.keys(described.requestBody?.content ?? {})).toContain(call.mediaType);
					headers['content-type'] = call.mediaType;
				}
				const response = await api.fetch(url, {
					method,
					headers,
					...(call.body === undefined ? {} : { data: call.body })
				});
				const what = `${method} ${url} as ${call.as ?? 'nobody'}`;
				expect(response.status(), what).toBe(call.status);
				const declared = described.responses[String(response.status())];
				expect(
					declared,
					`${what}: status ${response.status()} is not in the document`
				).toBeDefined();
				// The answer's media type must be one declared for its status; a file's text is
				// checked against its schema as a string.
				const mediaType = (response.headers()['content-type'] ?? '').split(';')[0].trim();
				const schema = declared.content?.[mediaType]?.schema;
				expect(schema, `${what}: no schema for ${mediaType || 'no content type'}`).toBeDefined();
				const validate = ajv.compile(schema!);
				const body =
					mediaType === 'application/json' ? await response.json() : await response.text();
				expect(validate(body) ? [] : validate.errors, `${what}: ${JSON.stringify(body)}`).toEqual(
					[]
				);
				checked += 1;
			}
		}
	}
	expect(checked).toBe(Object.values(calls).flat().length);
	// Every operation is generated from the contract, so every one is checked.
	expect(handWritten).toEqual([]);
	await api.dispose();
	for (const undo of undos) await undo();
});

test('a project made over the API is the one its page shows, requirements and all', async () => {
	const db = e2eDb();
	const admin = await ensureUser('contract-admin', 'admin');
	const token = (await createApiToken(db, admin.id, 'contract')).token;
	const api = await request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: { authorization: `Bearer ${token}` }
	});
	const created = await api.post('/api/v1/projects', {
		data: {
			name: `Scripted ${Date.now()}`,
			instruction: 'Classify the ticket.',
			ratingScale: 'pass_fail',
			threshold: 1,
			reviewsRequired: 2,
			requirements: [{ name: 'Right queue', description: 'The team that owns it.' }]
		}
	});
	expect(created.status()).toBe(201);
	const project = await created.json();
	expect(project).toMatchObject({
		instruction: 'Classify the ticket.',
		ratingScale: 'pass_fail',
		threshold: 1,
		reviewsRequired: 2,
		splits: { train: 80, val: 10, test: 10 },
		requirements: [{ name: 'Right queue', description: 'The team that owns it.' }]
	});
	const read = await api.get(`/api/v1/projects/${project.id}`);
	expect(await read.json()).toEqual(project);

	const refused = await api.post('/api/v1/projects', { data: { name: '', splitVal: 30 } });
	expect(refused.status()).toBe(400);
	const problem = await refused.json();
	expect(problem.issues.name).toEqual(['Give the project a name.']);
	await api.dispose();
});
