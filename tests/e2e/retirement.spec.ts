import { expect, test } from '@playwright/test';
import { datasetFilterSchema } from '../../src/lib/schemas/dataset';
import {
	EVALUATION_SETTING_DEFAULTS,
	evaluationSettingsSchema
} from '../../src/lib/schemas/iteration';
import { dayOf, saveRetirement } from '../../src/lib/server/finetune/retirement';
import { startNextIteration } from '../../src/lib/server/iterations';
import { cancelFineTune } from '../../src/lib/server/finetune';
import { createProvider } from '../../src/lib/server/providers';
import { acceptedProject, e2eSecretKey, logInAs } from '../support/e2e';
import { startStandin } from '../support/standin';

// Base models with a retirement date: one due within 60 days is warned about where a base model
// is chosen, on its fine-tune and on the iteration of a student built on it; one past its date
// is refused beside the field. The dates are the test's own, so it holds on any day it runs.

const DAY_MS = 24 * 60 * 60_000;

test('a base model retiring within 60 days is warned about on the three pages; a retired one is refused', async ({
	page,
	context
}) => {
	const standin = await startStandin({ fineTuneSeconds: 30 });
	try {
		const { db, admin, project } = await acceptedProject('Retiring', 12);
		const stamp = Date.now();
		const retiring = `retiring-base-${stamp}`;
		const retired = `retired-base-${stamp}`;
		const retiresOn = new Date(Math.floor((stamp + 30 * DAY_MS) / DAY_MS) * DAY_MS);
		await saveRetirement(db, { model: retiring, retiresOn, source: 'the provider’s notice' });
		await saveRetirement(db, {
			model: retired,
			retiresOn: new Date(stamp - 2 * DAY_MS),
			source: 'an older notice'
		});
		const provider = await createProvider(db, e2eSecretKey(), {
			name: `Retirement stand-in ${project.id}`,
			baseUrl: standin.url,
			apiKey: '',
			requestsPerMinute: null,
			tokensPerMinute: null
		});
		const started = await startNextIteration(db, project, admin.id, {
			name: `retiring v${stamp}`,
			filter: datasetFilterSchema.parse({}),
			fineTune: {
				adapter: 'openai',
				providerId: provider.id,
				baseModel: retiring,
				suffix: null,
				hyperparameters: { epochs: null, batchSize: null, learningRateMultiplier: null }
			},
			evaluation: {
				splits: ['train'],
				settings: evaluationSettingsSchema.parse(EVALUATION_SETTING_DEFAULTS)
			}
		});
		if (!started.ok) throw new Error(started.message);
		const warning = `${retiring} retires on ${dayOf(retiresOn)} (the provider’s notice); a model trained on it stops answering then.`;
		await logInAs(context, admin.id);

		// 1. Where a base model is chosen.
		await page.goto(`/projects/${project.id}/datasets/${started.datasetId}`);
		const notice = page.getByRole('note').filter({ hasText: 'Retiring models' });
		await expect(notice.getByRole('listitem').filter({ hasText: retiring })).toContainText(
			`${retiring} retires on ${dayOf(retiresOn)} (the provider’s notice)`
		);
		await expect(notice.getByRole('listitem').filter({ hasText: retired })).toContainText(
			'it can no longer be fine-tuned'
		);
		// A retired base model is refused beside its field, and nothing starts.
		await page.getByLabel('Base model', { exact: true }).fill(retired);
		await page.getByRole('button', { name: 'Start fine-tuning' }).click();
		await expect(page.getByText(`${retired} was retired on`).first()).toBeVisible();
		await expect(page.getByLabel('Base model', { exact: true })).toHaveAttribute(
			'aria-invalid',
			'true'
		);
		await expect(page.getByRole('heading', { name: /^Fine-tune \d+$/ })).toHaveCount(0);

		// 2. On the fine-tune.
		await page.goto(`/projects/${project.id}/finetunes/${started.fineTuneId}`);
		await expect(page.getByRole('note')).toHaveText(warning);

		// 3. On the iteration of the student built on it.
		await page.goto(`/projects/${project.id}/iterations`);
		await expect(page.getByRole('table', { name: 'Iterations' }).getByRole('note')).toHaveText(
			warning
		);

		// The dates are the admins' to keep.
		await page.goto('/admin/retirements');
		await expect(page.getByRole('row', { name: new RegExp(`^${retiring} `) })).toContainText(
			'retiring within 60 days'
		);
		await page.getByLabel('Model', { exact: true }).fill(`another-${stamp}`);
		await page.getByLabel('Retires on').fill('2030-06-30');
		await page.getByLabel('Source').fill('   ');
		await page.getByRole('button', { name: 'Save the date' }).click();
		await expect(
			page.getByText('Say where the date was announced, so others can check it.').first()
		).toBeVisible();
		await page.getByLabel('Source').fill('a notice');
		await page.getByRole('button', { name: 'Save the date' }).click();
		await expect(page.getByText(`another-${stamp}: retires on 30 June 2030.`)).toBeVisible();
		await expect(page.getByRole('row', { name: new RegExp(`^another-${stamp} `) })).toContainText(
			'30 June 2030'
		);
		// Its fine-tune is not followed past this test.
		await cancelFineTune(db, e2eSecretKey(), project.id, started.fineTuneId);
	} finally {
		await standin.close();
	}
});
