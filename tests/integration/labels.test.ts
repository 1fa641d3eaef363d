import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { datasetItem, example, project, revision, type Project } from '$lib/server/db/schema';
import { countQualifying, countQualifyingLabels, freezeDataset } from '$lib/server/datasets';
import { exportChunks, linesOf } from '$lib/server/datasets/export';
import { importExamples } from '$lib/server/import';
import { JobRunner } from '$lib/server/jobs/runner';
import { addMember, getProject, projectToFormValues, updateProject } from '$lib/server/projects';
import { labelReport, labelScoresOf } from '$lib/server/labelAgreement';
import { markGold } from '$lib/server/gold';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { projectSchema } from '$lib/schemas/project';
import {
	examplesOf,
	jsonl,
	linesSource,
	makeProject,
	makeUser,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { jobReaches, standinProvider, startJob, TEST_SECRET } from '../support/jobs';
import { startStandin, type Standin } from '../support/standin';
import { testDb } from '../support/database';

const LABELS = [
	'billing | b | Invoices, payments and refunds | Money',
	'shipping | h | Where a parcel is | Delivery',
	'damaged | d | Arrived broken | Delivery',
	'other | o'
].join('\n');

let standin: Standin | undefined;
let runner: JobRunner | undefined;
afterEach(async () => {
	await runner?.stop();
	await standin?.close();
	runner = undefined;
	standin = undefined;
});

async function labelProject(db: Db, multipleLabels = false) {
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, {
		outputKind: 'labels',
		labels: LABELS,
		multipleLabels,
		ratingScale: 'pass_fail',
		splitTrain: 100,
		splitVal: 0,
		splitTest: 0
	});
	return { admin, target };
}

async function importText(db: Db, target: Project, text: string, userId: string) {
	return await importExamples(
		db,
		target,
		{ source: linesSource(text), format: 'jsonl', filename: 'labels.jsonl', userId },
		T0
	);
}

async function currentOutputs(db: Db, projectId: number) {
	return (
		await db
			.select({ output: revision.output })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(eq(example.projectId, projectId))
			.orderBy(example.id)
	).map((r) => r.output);
}

describe('agreement on a label project', () => {
	it('takes each person’s accepted or repaired labels, label by label, with the majority’s confusion', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id, {
			outputKind: 'labels',
			labels: LABELS,
			ratingScale: 'pass_fail',
			reviewsRequired: 2
		});
		const [first, second] = [await makeUser(db, 'annotator'), await makeUser(db, 'annotator')];
		await addMember(db, target.id, first.id);
		await addMember(db, target.id, second.id);
		const given = ['billing', 'shipping', 'damaged', 'other', 'billing'];
		const imported = await importText(
			db,
			target,
			jsonl(
				given.flatMap((label, i) => [0, 1].map((k) => ({ input: `Q${i}.${k}`, output: label })))
			),
			admin.id
		);
		expect(imported).toMatchObject({ ok: true, imported: 10 });
		// The first accepts all ten; the second accepts seven and repairs three to "other".
		for (let c = await claimNext(db, target.id, first.id, T0); c;) {
			expect(
				(await submitReview(db, target.id, first.id, reviewSubmission(c, { rating: 1 }), T0)).ok
			).toBe(true);
			c = await claimNext(db, target.id, first.id, T0);
		}
		let repaired = 0;
		for (let c = await claimNext(db, target.id, second.id, T0); c;) {
			const output = (
				await db
					.select({ output: revision.output })
					.from(revision)
					.where(eq(revision.id, c.revisionId))
			)[0].output;
			const repair = repaired < 3 && output !== '{"labels":["other"]}';
			if (repair) repaired++;
			const saved = await submitReview(
				db,
				target.id,
				second.id,
				reviewSubmission(
					c,
					repair ? { rating: 0, decision: 'repair', output: '{"labels":["other"]}' } : { rating: 1 }
				),
				T0
			);
			expect(saved.ok).toBe(true);
			c = await claimNext(db, target.id, second.id, T0);
		}
		const report = (await labelReport(db, (await getProject(db, target.id))!))!;
		expect(report.units).toBe(10);
		// Each person against the other: seven examples agree, three do not.
		expect(report.confusion!.units).toBe(10);
		const matrix = report.confusion!.matrix;
		expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(20);
		expect(matrix.reduce((sum, row, i) => sum + row[i], 0)).toBe(14);
		// The three repairs to "other" (index 3) disagree both ways.
		expect(matrix.reduce((sum, row) => sum + row[3], 0) - matrix[3][3]).toBe(3);
		expect(matrix[3].reduce((a, b) => a + b, 0) - matrix[3][3]).toBe(3);
		const other = report.labels.find((l) => l.label === 'other')!;
		expect(other.kappa.value!.value).toBeLessThan(1);
		expect(other.share).toBeCloseTo((4 + 3) / 20, 5);
	});
	it('measures people on gold per label: accepting the gold answer is right, a repair is wrong', async () => {
		const db = await testDb();
		const { admin, target } = await labelProject(db);
		await db.transaction(async (tx) =>
			tx.update(project).set({ goldRate: 1 }).where(eq(project.id, target.id))
		);
		const [first, second] = [await makeUser(db, 'annotator'), await makeUser(db, 'annotator')];
		await addMember(db, target.id, first.id);
		await addMember(db, target.id, second.id);
		const given = ['billing', 'shipping', 'other', 'billing', 'shipping'];
		await importText(
			db,
			target,
			jsonl(given.map((label, i) => ({ input: `Q${i}`, output: label }))),
			admin.id
		);
		const ids = (await examplesOf(db, target.id)).map((e) => e.id);
		expect(await markGold(db, target.id, ids[0], 1, T0)).toEqual({ ok: true });
		expect(await markGold(db, target.id, ids[1], 1, T0)).toEqual({ ok: true });
		// A failed gold answer is no answer to measure anyone by.
		expect(await markGold(db, target.id, ids[2], 0, T0)).toEqual({ ok: true });
		const served = new Set<number>();
		for (const person of [first, second]) {
			for (let c = await claimNext(db, target.id, person.id, T0, [], undefined, 0); c;) {
				if (!ids.slice(0, 3).includes(c.exampleId)) break;
				served.add(c.exampleId);
				// The first puts the shipping gold "right" to other; everything else is accepted.
				const wrong = person === first && c.exampleId === ids[1];
				const body = wrong
					? { rating: 0, decision: 'repair' as const, output: '{"labels":["other"]}' }
					: { rating: 1 };
				expect(
					(await submitReview(db, target.id, person.id, reviewSubmission(c, body), T0)).ok
				).toBe(true);
				c = await claimNext(db, target.id, person.id, T0, [], undefined, 0);
			}
		}
		expect([...served].sort()).toEqual(ids.slice(0, 3).sort());
		const gold = (await labelReport(db, (await getProject(db, target.id))!))!.gold;
		expect(gold.find((g) => g.label === 'billing')).toMatchObject({
			examples: 1,
			reviews: 2,
			correct: 2,
			share: 1
		});
		const shipping = gold.find((g) => g.label === 'shipping')!;
		expect(shipping).toMatchObject({ examples: 1, reviews: 2, correct: 1, share: 0.5 });
		expect(shipping.low).toBeLessThan(0.5);
		expect(shipping.high).toBeGreaterThan(0.5);
		expect(gold.find((g) => g.label === 'other')).toMatchObject({ examples: 0, share: null });
	});

	it('scores a model’s labels against the labels people left its answers with', async () => {
		const db = await testDb();
		const { admin, target } = await labelProject(db);
		const [first, second] = [await makeUser(db, 'annotator'), await makeUser(db, 'annotator')];
		await addMember(db, target.id, first.id);
		await addMember(db, target.id, second.id);
		const predicted = ['billing', 'shipping', 'billing', 'other'];
		await importText(
			db,
			target,
			jsonl(predicted.map((label, i) => ({ input: `Q${i}`, output: label }))),
			admin.id
		);
		const answers = (await examplesOf(db, target.id)).map((e) => ({
			exampleId: e.id,
			revisionId: e.currentRevisionId!
		}));
		// Accepted, accepted, repaired to damaged (and the repair accepted), rejected.
		const bodies = [
			{ rating: 1 },
			{ rating: 1 },
			{ rating: 0, decision: 'repair' as const, output: '{"labels":["damaged"]}' },
			{ rating: 0, decision: 'reject' as const }
		];
		for (let c = await claimNext(db, target.id, first.id, T0); c;) {
			const at = answers.findIndex((a) => a.exampleId === c!.exampleId);
			const saved = await submitReview(
				db,
				target.id,
				first.id,
				reviewSubmission(c, bodies[at]),
				T0
			);
			expect(saved.ok).toBe(true);
			c = await claimNext(db, target.id, first.id, T0);
		}
		const repair = await claimNext(db, target.id, second.id, T0);
		expect(repair!.exampleId).toBe(answers[2].exampleId);
		await submitReview(db, target.id, second.id, reviewSubmission(repair!, { rating: 1 }), T0);

		const scores = (await labelScoresOf(db, (await getProject(db, target.id))!, answers))!;
		// Truth billing, shipping, damaged against predictions billing, shipping, billing; the
		// rejected answer's "other" was wrong, though what was right is not said.
		expect(scores.units).toBe(4);
		const of = (label: string) => scores.labels.find((l) => l.label === label)!;
		expect(of('billing').precision.value!.value).toBe(0.5);
		expect(of('billing').recall.value!.value).toBe(1);
		expect(of('billing').f1.value!.value).toBeCloseTo(2 / 3, 10);
		expect(of('shipping').f1.value!.value).toBe(1);
		expect(of('damaged')).toMatchObject({ support: 1, precision: { value: null } });
		expect(of('damaged').f1.value!.value).toBe(0);
		expect(of('other')).toMatchObject({ support: 0, recall: { value: null } });
		expect(of('other').precision.value!.value).toBe(0);
		expect(of('other').f1.value!.value).toBe(0);
		expect(scores.macroF1.value!.value).toBeCloseTo((2 / 3 + 1 + 0 + 0) / 4, 10);
		expect(scores.macroF1.value!.lower).toBeLessThanOrEqual(5 / 12);
	});
});

describe('a label project', () => {
	it('keeps its label set, and gives the form its lines back', async () => {
		const db = await testDb();
		const { target } = await labelProject(db, true);
		expect(JSON.parse(target.labelSet!)).toMatchObject({ multiple: true });
		expect(JSON.parse(target.outputSchema!).properties.labels.items.enum).toEqual([
			'billing',
			'shipping',
			'damaged',
			'other'
		]);
		const values = await projectToFormValues(db, target);
		expect(values).toMatchObject({ outputKind: 'labels', multipleLabels: true, outputSchema: '' });
		expect(values.labels.split('\n')).toHaveLength(4);
		expect(projectSchema.safeParse({ ...values, threshold: '4' }).success).toBe(true);
	});

	it('keeps every label of a set that examples were labelled from', async () => {
		const db = await testDb();
		const { admin, target } = await labelProject(db, true);
		expect(
			await importText(db, target, jsonl([{ input: 'Hi', output: 'other' }]), admin.id)
		).toMatchObject({ ok: true });
		const values = projectSchema.parse({
			...(await projectToFormValues(db, target)),
			threshold: '4'
		});
		const renamed = values.labels.replace('billing |', 'invoices |');
		expect(await updateProject(db, target.id, { ...values, labels: renamed })).toEqual({
			ok: false,
			errors: {
				labels: [
					'This project has examples labelled from its set: “billing” must stay (rename none; add new labels instead).'
				]
			}
		});
		expect(await updateProject(db, target.id, { ...values, multipleLabels: false })).toMatchObject({
			ok: false
		});
		const added = `${values.labels}\nrefund | | Money back | Money`;
		expect(await updateProject(db, target.id, { ...values, labels: added })).toEqual({ ok: true });
		expect(JSON.parse((await getProject(db, target.id))!.labelSet!).labels).toHaveLength(5);
	});

	it('imports labels given as names or JSON, and refuses a label not in the set, line by line', async () => {
		const db = await testDb();
		const { admin, target } = await labelProject(db);
		const refused = await importText(
			db,
			target,
			jsonl([
				{ input: 'Where is my parcel?', output: 'shipping' },
				{ input: 'Charged twice', output: 'weather' },
				{ input: 'Broken mug', output: { labels: ['damaged', 'other'] } }
			]),
			admin.id
		);
		expect(refused.ok).toBe(false);
		expect(refused.ok ? [] : refused.errors).toEqual([
			{
				line: 2,
				message:
					'"output" is not one label of this project\'s set (billing, shipping, damaged, other)'
			},
			{
				line: 3,
				message:
					'"output" is not one label of this project\'s set (billing, shipping, damaged, other)'
			}
		]);
		expect(await currentOutputs(db, target.id)).toEqual([]);
		const imported = await importText(
			db,
			target,
			jsonl([
				{ input: 'Where is my parcel?', output: 'Shipping' },
				{ input: 'Broken mug', output: { labels: ['damaged'] } },
				{ input: 'Hello' }
			]),
			admin.id
		);
		expect(imported).toMatchObject({ ok: true, imported: 3 });
		expect(await currentOutputs(db, target.id)).toEqual([
			'{"labels":["shipping"]}',
			'{"labels":["damaged"]}',
			null
		]);
	});

	it('counts each label per split, and a cap keeps the same random sample of the largest', async () => {
		const db = await testDb();
		const { admin, target } = await labelProject(db);
		const rater = await makeUser(db, 'annotator');
		await addMember(db, target.id, rater.id);
		const given = [
			...Array.from({ length: 9 }, () => 'billing'),
			...Array.from({ length: 3 }, () => 'shipping'),
			'other'
		];
		await importText(
			db,
			target,
			jsonl(given.map((label, i) => ({ input: `Message ${i}`, output: label }))),
			admin.id
		);
		for (let c = await claimNext(db, target.id, rater.id, T0); c;) {
			await submitReview(db, target.id, rater.id, reviewSubmission(c, { rating: 1 }), T0);
			c = await claimNext(db, target.id, rater.id, T0);
		}
		const all = datasetFilterSchema.parse({});
		const counts = (await countQualifyingLabels(db, target, all))!;
		const train = (label: string) => counts.labels.find((l) => l.label === label)!.counts.train;
		expect([train('billing'), train('shipping'), train('damaged'), train('other')]).toEqual([
			9, 3, 0, 1
		]);
		expect(counts.capped).toBe(false);

		const capped = datasetFilterSchema.parse({ labelCap: '4' });
		expect(await countQualifying(db, target, capped)).toEqual({ train: 8, val: 0, test: 0 });
		const billing = (await countQualifyingLabels(db, target, capped))!.labels[0];
		expect(billing).toMatchObject({ counts: { train: 9 }, capped: { train: 4 } });
		const frozen = await freezeDataset(db, target, 'capped', capped, admin.id);
		expect(frozen).toMatchObject({ ok: true, counts: { train: 8, val: 0, test: 0 } });
		const again = await freezeDataset(db, target, 'capped again', capped, admin.id);
		const members = async (datasetId: number) =>
			(
				await db
					.select({ id: datasetItem.exampleId })
					.from(datasetItem)
					.where(eq(datasetItem.datasetId, datasetId))
					.orderBy(datasetItem.exampleId)
			).map((r) => r.id);
		if (!frozen.ok || !again.ok) throw new Error('not frozen');
		// The same sample, by the examples' random keys: not simply the oldest four.
		expect(await members(again.datasetId)).toEqual(await members(frozen.datasetId));
		// The billing examples with the lowest random keys, not simply the oldest.
		const billingByKey = (await examplesOf(db, target.id))
			.slice(0, 9)
			.sort((a, b) => a.randomKey - b.randomKey)
			.map((e) => e.id);
		const kept = new Set(await members(frozen.datasetId));
		expect(billingByKey.filter((id) => kept.has(id))).toEqual(billingByKey.slice(0, 4));

		expect(datasetFilterSchema.safeParse({ labelCap: '0' }).error?.issues[0].message).toBe(
			'Take at least one example of each label.'
		);
	});

	it('asks the teacher for labels of the set, and the review’s choice of others is the repair', async () => {
		standin = await startStandin();
		const db = await testDb();
		const { admin, target } = await labelProject(db, true);
		const rater = await makeUser(db, 'annotator');
		const checker = await makeUser(db, 'annotator');
		await addMember(db, target.id, rater.id);
		await addMember(db, target.id, checker.id);
		const { modelId } = await standinProvider(db, standin.url);
		runner = new JobRunner(db, { key: TEST_SECRET, baseBackoffMs: 20, pollMs: 50 });
		await runner.start();
		const inputs = Array.from({ length: 12 }, (_, i) => `Customer message ${i}`);
		const jobId = await startJob(db, target, admin.id, [modelId], inputs);
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const outputs = await currentOutputs(db, target.id);
		expect(outputs).toHaveLength(12);
		const names = new Set<string>();
		for (const output of outputs) {
			const { labels } = JSON.parse(output!) as { labels: string[] };
			expect(labels.length).toBeGreaterThan(0);
			for (const name of labels) names.add(name);
		}
		expect([...names].every((n) => ['billing', 'shipping', 'damaged', 'other'].includes(n))).toBe(
			true
		);
		expect(names.size).toBeGreaterThan(1);

		// A label outside the set is refused; another choice from it is a repair.
		const claimed = (await claimNext(db, target.id, rater.id, T0))!;
		const wrong = await submitReview(
			db,
			target.id,
			rater.id,
			reviewSubmission(claimed, {
				decision: 'repair',
				rating: 0,
				output: '{"labels":["weather"]}'
			}),
			T0
		);
		expect(wrong).toMatchObject({ ok: false, field: 'output' });
		const repaired = await submitReview(
			db,
			target.id,
			rater.id,
			reviewSubmission(claimed, {
				decision: 'repair',
				rating: 0,
				output: '{"labels":["billing","other"]}'
			}),
			T0
		);
		expect(repaired.ok).toBe(true);
		for (let c = await claimNext(db, target.id, checker.id, T0); c;) {
			const saved = await submitReview(
				db,
				target.id,
				checker.id,
				reviewSubmission(c, { rating: 1 }),
				T0
			);
			expect(saved.ok).toBe(true);
			c = await claimNext(db, target.id, checker.id, T0);
		}
		const frozen = await freezeDataset(
			db,
			(await getProject(db, target.id))!,
			'labels',
			datasetFilterSchema.parse({}),
			admin.id
		);
		if (!frozen.ok) throw new Error(frozen.message);
		const lines: string[] = [];
		for await (const line of linesOf(
			exportChunks(db, target, frozen.datasetId, {
				format: 'openai',
				split: 'train',
				reasoning: false
			})
		)) {
			lines.push(line);
		}
		expect(lines.length).toBeGreaterThan(0);
		const answers = lines.map((l) => JSON.parse(l).messages.at(-1).content as string);
		// The labels by name, as the assistant's answer.
		expect(answers).toContain('billing, other');
		for (const answer of answers) {
			for (const name of answer.split(', ')) {
				expect(['billing', 'shipping', 'damaged', 'other']).toContain(name);
			}
		}
		expect(JSON.parse(lines[0]).messages[0].content).toContain('Choose every label that applies');
	});
});
