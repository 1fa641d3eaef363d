import { parse } from 'csv-parse/sync';
import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { compileValidator } from '$lib/jsonSchema';
import { type Db } from '$lib/server/db';
import { dataset, datasetItem, project, revision, type Project } from '$lib/server/db/schema';
import { countQualifying, datasetChange, freezeDataset, getDataset } from '$lib/server/datasets';
import {
	checkOpenAiLines,
	emptyFileReason,
	exportChunks,
	exportFiles,
	exportFilename,
	linesOf,
	reasoningNote,
	type ExportOptions
} from '$lib/server/datasets/export';
import { buildPrompt, parseOutput } from '$lib/server/jobs/prompt';
import { addMember } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { hashText, splitForInputHash } from '$lib/server/split';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import {
	examplesOf,
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { testDb } from '../support/database';

/** A CSV file's records as a standard parser reads them, by column name. */
const csvRows = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

const byInput = (a: { input: string }, b: { input: string }) => a.input.localeCompare(b.input);

const ALL = datasetFilterSchema.parse({});

/** The first input of the form `${prefix} n` that lands in the given split. */
function inputIn(target: Project, split: 'train' | 'test', prefix: string): string {
	for (let i = 0; ; i++) {
		const input = `${prefix} ${i}`;
		if (splitForInputHash(hashText(input), target) === split) return input;
	}
}

/**
 * One project with an example in every state: accepted; accepted but under a stricter
 * threshold; below the threshold; rejected; repaired and accepted; repaired and not yet
 * reviewed; an exact duplicate of the accepted one; accepted in the test split; not fully
 * reviewed; disputed.
 */
async function everyState() {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const ann = await makeUser(db, 'annotator');
	const bob = await makeUser(db, 'annotator');
	const target = await makeProject(db, admin.id, {
		reviewsRequired: 1,
		threshold: 4,
		instruction: 'Answer briefly.'
	});
	await addMember(db, target.id, ann.id);
	await addMember(db, target.id, bob.id);
	const trainInput = (name: string) => inputIn(target, 'train', name);
	const inputs = {
		accepted: trainInput('accepted'),
		fourStars: trainInput('four stars'),
		below: trainInput('below'),
		rejected: trainInput('rejected'),
		repaired: trainInput('repaired'),
		unreviewedRepair: trainInput('unreviewed repair'),
		test: inputIn(target, 'test', 'held out'),
		partial: trainInput('partial'),
		disputed: trainInput('disputed')
	};
	await importRows(db, target, [
		{ input: inputs.accepted, output: 'good answer', id: 'a' },
		{ input: inputs.fourStars, output: 'fine answer' },
		{ input: inputs.below, output: 'weak answer' },
		{ input: inputs.rejected, output: 'wrong answer' },
		{ input: inputs.repaired, output: 'teacher answer' },
		{ input: inputs.unreviewedRepair, output: 'teacher answer 2' },
		{ input: inputs.accepted, output: 'good answer', id: 'a-again' },
		{ input: inputs.test, output: 'held-out answer' }
	]);
	let minute = 0;
	const review = async (userId: string, overrides: Parameters<typeof reviewSubmission>[1]) => {
		const claimed = (await claimNext(db, target.id, userId, minutesAfter(minute)))!;
		const result = await submitReview(
			db,
			target.id,
			userId,
			reviewSubmission(claimed, overrides),
			minutesAfter(minute++)
		);
		expect(result.ok).toBe(true);
		return claimed;
	};
	await review(ann.id, { rating: 5 }); // accepted
	await review(ann.id, { rating: 4 }); // four stars
	await review(ann.id, { rating: 3 }); // below the threshold → rejected
	await review(ann.id, { rating: 5, decision: 'reject' }); // rejected
	await review(ann.id, { rating: 2, decision: 'repair', output: 'repaired answer' }); // repaired …
	await review(ann.id, { rating: 2, decision: 'repair', output: 'repaired answer 2' }); // … twice
	await review(ann.id, { rating: 5 }); // the duplicate
	await review(ann.id, { rating: 5 }); // held out
	await review(bob.id, { rating: 5 }); // bob accepts the first repair only
	// Two reviews per example from here on.
	await db.transaction(async (tx) =>
		tx.update(project).set({ reviewsRequired: 2 }).where(eq(project.id, target.id))
	);
	await importRows(db, target, [
		{ input: inputs.disputed, output: 'contested' },
		{ input: inputs.partial, output: 'half-reviewed' }
	]);
	const refreshed = (await db.select().from(project).where(eq(project.id, target.id)).limit(1))[0]!;
	await review(ann.id, { rating: 5 }); // disputed: 5 …
	await review(bob.id, { rating: 2, decision: 'reject' }); // … and 2
	await review(ann.id, { rating: 5 }); // partial: one review of two
	return { db, admin, ann, bob, target: refreshed, inputs };
}

async function fileOf(
	db: Db,
	target: Project,
	datasetId: number,
	split: 'train' | 'val' | 'test',
	format = 'openai' as const
) {
	let text = '';
	for await (const chunk of exportChunks(db, target, datasetId, {
		format,
		split,
		reasoning: false
	})) {
		text += chunk;
	}
	return text;
}

describe('who gets exported', () => {
	it('only accepted examples over the threshold, at their current revision, each input-output once', async () => {
		const { db, admin, target, inputs } = await everyState();
		const frozen = await freezeDataset(db, target, 'first', ALL, admin.id);
		expect(frozen.ok).toBe(true);
		if (!frozen.ok) return;
		const train = await fileOf(db, target, frozen.datasetId, 'train');
		const test = await fileOf(db, target, frozen.datasetId, 'test');
		const trainInputs = train
			.trim()
			.split('\n')
			.map((line) => JSON.parse(line).messages[1].content);
		expect(trainInputs.sort()).toEqual([inputs.accepted, inputs.fourStars, inputs.repaired].sort());
		// The repaired example goes out with its repair, not the teacher's output.
		expect(train).toContain('"repaired answer"');
		expect(train).not.toContain('teacher answer');
		// The test example is only ever in the test file.
		expect(train).not.toContain(inputs.test);
		expect(test.trim().split('\n')).toHaveLength(1);
		expect(test).toContain(inputs.test);
		for (const excluded of [
			inputs.below,
			inputs.rejected,
			inputs.unreviewedRepair,
			inputs.partial,
			inputs.disputed
		]) {
			expect(train + test).not.toContain(excluded);
		}
		expect(frozen.counts).toEqual({ train: 3, val: 0, test: 1 });
		expect(await countQualifying(db, target, ALL)).toEqual(frozen.counts);
	});

	it('a stricter threshold, a tag, a source: the counts follow the filter', async () => {
		const { db, target } = await everyState();
		const strict = datasetFilterSchema.parse({ threshold: '5' });
		expect(await countQualifying(db, target, strict)).toEqual({ train: 2, val: 0, test: 1 });
		expect(
			await countQualifying(db, target, datasetFilterSchema.parse({ sources: ['distillation'] }))
		).toEqual({
			train: 0,
			val: 0,
			test: 0
		});
		expect(
			await countQualifying(db, target, datasetFilterSchema.parse({ repairedOnly: 'on' }))
		).toEqual({
			train: 1,
			val: 0,
			test: 0
		});
	});

	it('a filter that selects nothing freezes nothing, and says so', async () => {
		const { db, admin, target } = await everyState();
		const nothing = datasetFilterSchema.parse({ tags: 'no-such-tag' });
		expect(await freezeDataset(db, target, 'empty', nothing, admin.id)).toEqual({
			ok: false,
			message: 'No accepted example clears this filter, so there is nothing to freeze.'
		});
		expect(await db.select().from(dataset)).toEqual([]);
		expect(await db.select().from(datasetItem)).toEqual([]);
	});

	it('a dataset stays as frozen; the next one shows what changed', async () => {
		const { db, admin, bob, target } = await everyState();
		const first = await freezeDataset(db, target, 'first', ALL, admin.id);
		if (!first.ok) throw new Error(first.message);
		const before = await fileOf(db, target, first.datasetId, 'train');
		// More work lands: the half-reviewed example gets its second review.
		const claimed = (await claimNext(db, target.id, bob.id, minutesAfter(100)))!;
		await submitReview(
			db,
			target.id,
			bob.id,
			reviewSubmission(claimed, { rating: 5 }),
			minutesAfter(100)
		);
		expect(await fileOf(db, target, first.datasetId, 'train')).toBe(before);
		const second = await freezeDataset(db, target, 'second', ALL, admin.id);
		if (!second.ok) throw new Error(second.message);
		expect((await getDataset(db, target.id, second.datasetId))?.previousDatasetId).toBe(
			first.datasetId
		);
		const change = await datasetChange(db, first.datasetId, second.datasetId);
		expect(change.removed).toBe(0);
		expect(change.added + change.kept + change.revised).toBe(
			second.counts.train + second.counts.val + second.counts.test
		);
		expect(change).toMatchObject({ added: 1, removed: 0, revised: 0 });
		expect(second.contentHash).not.toBe(first.contentHash);
	});

	it('the OpenAI file passes the OpenAI check, with its tokens counted', async () => {
		const { db, admin, target } = await everyState();
		const frozen = await freezeDataset(db, target, 'first', ALL, admin.id);
		if (!frozen.ok) throw new Error(frozen.message);
		const check = await checkOpenAiLines(
			linesOf(
				exportChunks(db, target, frozen.datasetId, {
					format: 'openai',
					split: 'train',
					reasoning: false
				})
			)
		);
		expect(check.examples).toBe(3);
		expect(Object.values(check.problems).every((n) => n === 0)).toBe(true);
		expect(check.tokens.total).toBeGreaterThan(3 * 9);
		expect(check.tokens.longest).toBeGreaterThanOrEqual(check.tokens.mean);
	});
});

/** Every line break a line reader may split on: Python's splitlines and JavaScript's. */
// eslint-disable-next-line no-control-regex -- these control characters are the point
const LINE_BREAKS = /\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;

/** A frozen project whose examples carry the given outputs, with the teacher's reasoning set. */
async function frozenWith(
	outputs: { input: string; output: string; reasoning?: string }[],
	projectOverrides: Parameters<typeof makeProject>[2] = {}
) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, {
		reviewsRequired: 1,
		splitTrain: 100,
		splitVal: 0,
		splitTest: 0,
		instruction: 'Answer briefly.',
		...projectOverrides
	});
	await importRows(
		db,
		target,
		outputs.map(({ input, output }) => ({ input, output }))
	);
	// Reasoning comes from a teacher's job; here it is set on the imported revisions.
	for (const { input, reasoning } of outputs) {
		if (reasoning === undefined) continue;
		const found = (await examplesOf(db, target.id)).find((e) => e.input === input)!;
		await db.transaction(async (tx) =>
			tx.update(revision).set({ reasoning }).where(eq(revision.id, found.currentRevisionId!))
		);
	}
	for (let claimed = await claimNext(db, target.id, admin.id, T0); claimed;) {
		await submitReview(db, target.id, admin.id, reviewSubmission(claimed), T0);
		claimed = await claimNext(db, target.id, admin.id, T0);
	}
	const frozen = await freezeDataset(db, target, 'fidelity', ALL, admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	return { db, target, found: (await getDataset(db, target.id, frozen.datasetId))! };
}

const fileText = async (
	db: Db,
	target: Project,
	datasetId: number,
	options: Partial<ExportOptions> = {}
) => {
	let text = '';
	for await (const chunk of exportChunks(db, target, datasetId, {
		format: 'openai',
		split: 'train',
		reasoning: false,
		...options
	})) {
		text += chunk;
	}
	return text;
};

describe('export fidelity', () => {
	it('a CSV file parses back to the stored input and output, byte for byte', async () => {
		const stored = [
			{ input: 'trailing spaces', output: 'kept   ' },
			{ input: 'a, "quoted" input\r\n', output: 'two\nlines\t' },
			{ input: 'unicode \u2028 é', output: ' leading space' }
		];
		const { db, target, found } = await frozenWith(stored);
		const rows = csvRows(await fileText(db, target, found.id, { format: 'csv' }));
		expect(rows.map((r) => ({ input: r.input, output: r.output })).sort(byInput)).toEqual(
			[...stored].sort(byInput)
		);
	});

	it('every JSONL file keeps one record a line, whatever line breaks the text holds', async () => {
		const { db, target, found } = await frozenWith([
			{ input: 'a\u2028b', output: 'c\u2029d\u0085e', reasoning: 'f\u2028g' },
			{ input: 'plain', output: 'answer', reasoning: 'thought' }
		]);
		for (const format of ['openai', 'hf_messages', 'alpaca', 'sharegpt'] as const) {
			for (const reasoning of [false, true]) {
				const text = await fileText(db, target, found.id, { format, reasoning });
				const records = text.split(LINE_BREAKS).filter(Boolean);
				expect(records, `${format}${reasoning ? ' with reasoning' : ''}`).toHaveLength(2);
				expect(JSON.stringify(records.map((r) => JSON.parse(r)))).toContain('a\u2028b');
			}
		}
	});

	it('a reasoning file takes only the examples with reasoning, says how many it left out, and names itself', async () => {
		const { db, target, found } = await frozenWith([
			{ input: 'with', output: 'answer one', reasoning: 'thought one' },
			{ input: 'without', output: 'answer two' },
			{ input: 'empty', output: 'answer three', reasoning: '' }
		]);
		const text = await fileText(db, target, found.id, { reasoning: true });
		const assistants = text
			.trim()
			.split('\n')
			.map((line) => JSON.parse(line).messages.at(-1).content);
		expect(assistants).toEqual(['<think>\nthought one\n</think>\n\nanswer one']);
		const files = await exportFiles(db, found);
		expect(files.train).toMatchObject({ examples: 3, withReasoning: 1 });
		expect(reasoningNote(files)).toBe(
			'Files with reasoning take only the examples that have the teacher’s reasoning, in a <think> block before the answer (in CSV, a column of its own); the others are left out (2 of 3 train).'
		);
		expect(exportFilename(found.name, { format: 'openai', split: 'train', reasoning: true })).toBe(
			'fidelity-train-openai-reasoning.jsonl'
		);
	});

	it('for a JSON project, what evaluation reads after the reasoning is the JSON output exactly, and it validates', async () => {
		const schema = JSON.stringify({
			type: 'object',
			properties: { answer: { type: 'string' }, days: { type: 'integer' } },
			required: ['answer', 'days'],
			additionalProperties: false
		});
		const outputs = [
			{ input: 'q1', output: '{"answer":"Yes","days":60}', reasoning: 'Policy: {"days": 60}.' },
			{
				input: 'q2',
				output: '{"answer":"No </think> here","days":0}',
				reasoning: 'A model may write </think> or </THINK> inside its thoughts.'
			}
		];
		const { db, target, found } = await frozenWith(outputs, {
			outputKind: 'json',
			outputSchema: schema
		});
		const validate = compileValidator(schema)!;
		// The prompt an evaluation run sends the student, and reads its answer with.
		const evaluation = await buildPrompt(db, target, { fewShot: 0, reasoning: false });
		for (const format of ['openai', 'hf_messages'] as const) {
			const lines = (await fileText(db, target, found.id, { format, reasoning: true }))
				.trim()
				.split('\n');
			expect(lines).toHaveLength(2);
			for (const line of lines) {
				const messages = JSON.parse(line).messages;
				const stored = outputs.find((o) => o.input === messages.at(-2).content)!;
				const parsed = parseOutput(evaluation, messages.at(-1).content);
				expect(parsed.output).toBe(stored.output);
				expect(parsed.schemaValid).toBe(true);
				expect(validate(JSON.parse(parsed.output))).toBeNull();
			}
		}
		const rows = csvRows(await fileText(db, target, found.id, { format: 'csv', reasoning: true }));
		for (const row of rows) {
			expect(validate(JSON.parse(row.output))).toBeNull();
			expect(row.reasoning).toBe(outputs.find((o) => o.input === row.input)!.reasoning);
		}
	});

	it('DPO files honour the reasoning choice, and an empty one is refused with a reason', async () => {
		const { db, admin, target, inputs } = await everyState();
		const frozen = await freezeDataset(db, target, 'first', ALL, admin.id);
		if (!frozen.ok) throw new Error(frozen.message);
		const found = (await getDataset(db, target.id, frozen.datasetId))!;
		// The teacher's output that was repaired had reasoning; a person's repair has none.
		const repaired = (await examplesOf(db, target.id)).find((e) => e.input === inputs.repaired)!;
		const revisions = await db
			.select()
			.from(revision)
			.where(eq(revision.exampleId, repaired.id))
			.orderBy(asc(revision.number));
		await db.transaction(async (tx) =>
			tx
				.update(revision)
				.set({ reasoning: 'teacher thought' })
				.where(eq(revision.id, revisions[0].id))
		);
		const plain = JSON.parse(
			(await fileText(db, target, found.id, { format: 'openai_dpo' })).trim()
		);
		expect(plain.preferred_output[0].content).toBe('repaired answer');
		expect(plain.non_preferred_output[0].content).toBe('teacher answer');

		let files = await exportFiles(db, found);
		expect(files.train).toMatchObject({ pairs: 1, pairsWithReasoning: 0 });
		const dpo = { format: 'openai_dpo', reasoning: true } as const;
		expect(emptyFileReason(files, { ...dpo, split: 'train' })).toBe(
			'No train preference pair (of 1) has reasoning on its preferred side (a person’s repair carries none), so a preference file with reasoning would be empty; download it without reasoning.'
		);
		expect(await fileText(db, target, found.id, { ...dpo })).toBe('');
		// The test split has an example but no repair: no pair at all.
		expect(emptyFileReason(files, { ...dpo, reasoning: false, split: 'test' })).toBe(
			'No test example (of 1) is a person’s repair of an earlier output or the better side of a settled comparison, so there is no preference pair for that file.'
		);
		expect(emptyFileReason(files, { ...dpo, reasoning: false, split: 'train' })).toBeNull();

		// Where the repair has reasoning too, both sides think in the reasoning file.
		await db.transaction(async (tx) =>
			tx
				.update(revision)
				.set({ reasoning: 'person thought' })
				.where(eq(revision.id, repaired.currentRevisionId!))
		);
		files = await exportFiles(db, found);
		expect(emptyFileReason(files, { ...dpo, split: 'train' })).toBeNull();
		const reasoned = JSON.parse((await fileText(db, target, found.id, dpo)).trim());
		expect(reasoned.preferred_output[0].content).toBe(
			'<think>\nperson thought\n</think>\n\nrepaired answer'
		);
		expect(reasoned.non_preferred_output[0].content).toBe(
			'<think>\nteacher thought\n</think>\n\nteacher answer'
		);
	});
});
