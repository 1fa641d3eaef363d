import type { Db } from '$lib/server/db';
import { asc, eq } from 'drizzle-orm';
import { example, requirement, type Project, type Role, type User } from '$lib/server/db/schema';
import { importExamples } from '$lib/server/import';
import { createProject } from '$lib/server/projects';
import type { ReviewSubmission } from '$lib/server/reviews';
import { createUser } from '$lib/server/users';
import { projectSchema, type ProjectInput } from '$lib/schemas/project';

export const PASSWORD = 'correct-horse-1';

/** A fixed instant for tests that do not care about the clock but must not read it. */
export const T0 = new Date('2025-03-01T09:00:00.000Z');

let usersMade = 0;

/** A user with the shared test password; the username is unique unless `name` repeats. */
export async function makeUser(db: Db, role: Role, name?: string, now = T0): Promise<User> {
	usersMade += 1;
	const username = name ?? `${role}-${usersMade}`;
	return await createUser(
		db,
		{ username, displayName: `Test ${username}`, password: PASSWORD, role },
		now
	);
}

/** Form-shaped defaults: a text → text project rated on five stars, split 80/10/10. */
export const DEFAULT_PROJECT_INPUT: ProjectInput = {
	name: 'Support replies',
	instruction: 'Answer the customer politely.',
	inputKind: 'text',
	inputSchema: '',
	outputKind: 'text',
	outputSchema: '',
	conversationTurns: 'last',
	labels: '',
	multipleLabels: false,
	ratingScale: 'five_star',
	threshold: 4,
	reviewsRequired: 1,
	aggregation: 'mean',
	splitTrain: 80,
	splitVal: 10,
	splitTest: 10,
	requirements: []
};

/** Input passed through the real schema, so a fixture can never hold what the form refuses. */
export function projectInput(overrides: Partial<ProjectInput> = {}): ProjectInput {
	return projectSchema.parse({ ...DEFAULT_PROJECT_INPUT, ...overrides });
}

export async function makeProject(
	db: Db,
	creatorId: string,
	overrides: Partial<ProjectInput> = {},
	now = T0
): Promise<Project> {
	return await createProject(db, projectInput(overrides), creatorId, now);
}

/** A file as `importExamples` reads it: one chunk per line, line endings kept. */
export async function* linesSource(text: string): AsyncGenerator<string> {
	for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) yield line;
}

/** The same text as UTF-8 bytes cut every `size` bytes, even inside a character. */
export async function* bytesSource(text: string, size: number): AsyncGenerator<Uint8Array> {
	const bytes = new TextEncoder().encode(text);
	for (let start = 0; start < bytes.length; start += size)
		yield bytes.subarray(start, start + size);
}

export function jsonl(rows: object[]): string {
	return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}

/** Imports JSONL rows into a project as its creator and fails loudly if any row is refused. */
export async function importRows(db: Db, target: Project, rows: object[], now = T0) {
	const result = await importExamples(
		db,
		target,
		{
			source: linesSource(jsonl(rows)),
			format: 'jsonl',
			filename: 'rows.jsonl',
			userId: target.createdBy
		},
		now
	);
	if (!result.ok) throw new Error(`import refused: ${JSON.stringify(result.errors.slice(0, 3))}`);
	return result;
}

/** `minutes` (and `ms`) after T0 or `from`: tests move the clock by passing `now`. */
export function minutesAfter(minutes: number, ms = 0, from = T0): Date {
	return new Date(from.getTime() + minutes * 60_000 + ms);
}

let submissionsMade = 0;

/** A review of a claimed example: five stars and accept unless overridden, with a fresh key. */
export function reviewSubmission(
	claimed: { exampleId: number; revisionId: number },
	overrides: Partial<ReviewSubmission> = {}
): ReviewSubmission {
	submissionsMade += 1;
	return {
		exampleId: claimed.exampleId,
		revisionId: claimed.revisionId,
		rating: 5,
		requirementRatings: new Map(),
		decision: 'accept',
		submissionKey: `submission-${submissionsMade}`,
		...overrides
	};
}

/** A project's examples, oldest first. */
export async function examplesOf(db: Db, projectId: number) {
	return await db
		.select()
		.from(example)
		.where(eq(example.projectId, projectId))
		.orderBy(asc(example.id));
}

export async function exampleIds(db: Db, projectId: number): Promise<number[]> {
	return (await examplesOf(db, projectId)).map((e) => e.id);
}

/** A project's requirement ids in their order. */
export async function requirementIdsOf(db: Db, projectId: number): Promise<number[]> {
	return (
		await db
			.select({ id: requirement.id })
			.from(requirement)
			.where(eq(requirement.projectId, projectId))
			.orderBy(asc(requirement.position))
	).map((r) => r.id);
}

/**
 * Runs long work and calls `onTurn` at every turn of the event loop the work gives back, until
 * the work is done or `onTurn` returns true: what other requests would see meanwhile.
 */
export async function betweenSlices<T>(
	work: Promise<T>,
	onTurn: () => boolean | void | Promise<boolean | void>
): Promise<{ result: T; turns: number }> {
	let finished = false;
	const settle = () => (finished = true);
	void work.then(settle, settle);
	let turns = 0;
	for (let stop = false; !stop;) {
		await new Promise((resolve) => setImmediate(resolve));
		if (finished) break;
		turns += 1;
		stop = (await onTurn()) === true;
	}
	return { result: await work, turns };
}
