import { describe, expect, it } from 'vitest';
import { freezeDataset } from '$lib/server/datasets';
import { installProgress, projectProgress } from '$lib/server/gettingStarted';
import { addMember } from '$lib/server/projects';
import { createProvider } from '$lib/server/providers';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from '../support/fixtures';
import { TEST_SECRET } from '../support/jobs';
import { testDb } from '../support/database';

describe('getting started', () => {
	it('moves each step to done as the install and a project go round the loop', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		expect(await installProgress(db)).toEqual({ provider: false, project: false, people: false });

		await createProvider(db, TEST_SECRET, {
			name: 'Teacher',
			baseUrl: 'http://127.0.0.1:9/v1',
			apiKey: 'sk-test',
			requestsPerMinute: null,
			tokensPerMinute: null
		});
		const target = await makeProject(db, admin.id);
		const blank = await projectProgress(db, target.id, admin.id);
		expect(blank).toEqual({
			provider: true,
			people: false,
			examples: false,
			reviews: false,
			accepted: false,
			dataset: false,
			fineTune: false
		});

		const rater = await makeUser(db, 'annotator');
		expect(await installProgress(db)).toEqual({ provider: true, project: true, people: true });
		await addMember(db, target.id, rater.id);
		await importRows(db, target, [
			{ input: 'first', output: 'one' },
			{ input: 'second', output: 'two' }
		]);
		expect(await projectProgress(db, target.id, admin.id)).toMatchObject({
			people: true,
			examples: true,
			reviews: false
		});

		// A rejection is a review, but nothing is accepted yet.
		const first = (await claimNext(db, target.id, rater.id, T0))!;
		await submitReview(
			db,
			target.id,
			rater.id,
			reviewSubmission(first, { rating: 1, decision: 'reject' }),
			T0
		);
		expect(await projectProgress(db, target.id, admin.id)).toMatchObject({
			reviews: true,
			accepted: false
		});

		const second = (await claimNext(db, target.id, rater.id, T0))!;
		await submitReview(db, target.id, rater.id, reviewSubmission(second), T0);
		expect(await projectProgress(db, target.id, admin.id)).toMatchObject({
			accepted: true,
			dataset: false
		});

		const frozen = await freezeDataset(db, target, 'v1', datasetFilterSchema.parse({}), admin.id);
		expect(frozen.ok).toBe(true);
		expect(await projectProgress(db, target.id, admin.id)).toMatchObject({
			dataset: true,
			fineTune: false
		});

		// Another project's progress is its own.
		const other = await makeProject(db, admin.id);
		expect(await projectProgress(db, other.id, admin.id)).toMatchObject({
			examples: false,
			dataset: false
		});
	});
});
