import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge, model } from '$lib/server/db/schema';
import {
	createJudge,
	deleteJudge,
	DEFAULT_RUBRIC,
	listJudges,
	rubricAsSent,
	tryJudge,
	updateJudge
} from '$lib/server/judges';
import { importRows, makeProject, makeUser } from '../support/fixtures';
import { standinProvider, TEST_SECRET } from '../support/jobs';
import { startStandin, type Standin } from '../support/standin';
import { testDb } from '../support/database';

let standin: Standin;
beforeAll(async () => {
	standin = await startStandin();
});
afterAll(async () => {
	await standin.close();
});

async function setup() {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, {
		instruction: 'Answer the customer briefly.',
		requirements: [
			{ name: 'Correct', description: 'No wrong facts.' },
			{ name: 'Polite', description: '' }
		]
	});
	await importRows(db, target, [
		{ input: 'Where is my parcel?', output: 'On its way, due Friday.' },
		{ input: 'Can I return shoes?', output: 'No. [defect]' }
	]);
	const { modelId } = await standinProvider(db, standin.url);
	const input = {
		name: 'Strict',
		modelId,
		rubric: DEFAULT_RUBRIC,
		withReference: false,
		temperature: 0
	};
	return { db, admin, target, modelId, input };
}

describe('judges', () => {
	it('are made, renamed and removed per project, with one name each', async () => {
		const { db, admin, target, input } = await setup();
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		expect(await createJudge(db, target.id, input, admin.id)).toEqual({
			ok: false,
			status: 409,
			field: 'name',
			message: 'This project already has a judge named “Strict”.'
		});
		expect(await createJudge(db, target.id, { ...input, modelId: 9999 }, admin.id)).toMatchObject({
			ok: false,
			field: 'modelId'
		});
		expect(await updateJudge(db, target.id, made.judgeId, { ...input, name: 'Lenient' })).toEqual({
			ok: true,
			judgeId: made.judgeId
		});
		expect((await listJudges(db, target.id)).map((j) => [j.name, j.modelLabel])).toEqual([
			['Lenient', 'teacher-large (Stand-in)']
		]);
		// Another project's judge is not this one's to change.
		const other = await makeProject(db, admin.id, { name: 'Other' });
		expect(await updateJudge(db, other.id, made.judgeId, input)).toMatchObject({ status: 404 });
		expect(await deleteJudge(db, other.id, made.judgeId)).toBe(false);
		expect(await deleteJudge(db, target.id, made.judgeId)).toBe(true);
		expect(await db.select().from(judge)).toEqual([]);
	});

	it('is shown its rubric with the project’s words, and answers on the scale with reasons', async () => {
		const { db, admin, target, input } = await setup();
		const sent = await rubricAsSent(db, target, DEFAULT_RUBRIC);
		expect(sent).toContain('Answer the customer briefly.');
		expect(sent).toContain('- Correct: No wrong facts.\n- Polite');
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);

		// The latest output carries a planted defect; the stand-in's judge catches it here.
		standin.set({ judgeCatchRate: 1, judgeFalseFailRate: 0 });
		const caught = await tryJudge(db, TEST_SECRET, target, made.judgeId, null);
		if (!caught.ok) throw new Error(caught.message);
		expect(caught.system).toBe(sent);
		expect(caught.user).toBe('Input:\nCan I return shoes?\n\nOutput to judge:\nNo. [defect]');
		expect(caught.judgment).toMatchObject({ ok: true, rating: 1 });
		const names = Object.values(caught.requirementNames);
		expect(names).toEqual(['Correct', 'Polite']);

		const good = await tryJudge(db, TEST_SECRET, target, made.judgeId, caught.exampleId - 1);
		if (!good.ok) throw new Error(good.message);
		expect(good.judgment).toMatchObject({ ok: true, rating: 5 });
		standin.set({ judgeCatchRate: 0.8, judgeFalseFailRate: 0.1 });
	});

	it('an answer off the schema is read as a refusal with the reason, and nothing is stored', async () => {
		const { db, admin, target, input } = await setup();
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		standin.set({ plan: () => 'invalid' });
		try {
			const trial = await tryJudge(db, TEST_SECRET, target, made.judgeId, null);
			expect(trial).toMatchObject({
				ok: true,
				judgment: { ok: false, reason: 'The judge gave no rating for the output overall.' }
			});
		} finally {
			standin.set({ plan: undefined });
		}
		expect(await tryJudge(db, TEST_SECRET, target, made.judgeId, 424242)).toEqual({
			ok: false,
			message: 'Example 424242 is not in this project or has no output to judge.'
		});
		await db.transaction(async (tx) => tx.delete(model).where(eq(model.id, input.modelId)));
		expect(await tryJudge(db, TEST_SECRET, target, made.judgeId, null)).toEqual({
			ok: false,
			message: 'The judge’s model was removed: choose another.'
		});
	});
});
