import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createMigratedDb, type Db } from '$lib/server/db';
import { copyPlan } from '$lib/server/db/copy';
import { dataset, project } from '$lib/server/db/schema';
import { exportStream, SPLITS } from '$lib/server/datasets/export';
import { startNextIteration } from '$lib/server/iterations';
import { EXPORT_FORMATS, type ExportFormat } from '$lib/schemas/dataset';
import { freshDatabaseUrl, openDb, postgresUnderTest, rawSql } from '../support/database';
import { evaluationOf, loopSetup, nextSpec, reviewAll, studentJudge } from '../support/loop';
import { startStandin, type Standin } from '../support/standin';

// Moving a team from SQLite to PostgreSQL (`npm run db:copy`) loses nothing: the same rows,
// and the same bytes in every file exported from them. Runs in the PostgreSQL pass only.

const dir = mkdtempSync(join(tmpdir(), 'winnow-copy-'));
let standin: Standin;
beforeAll(async () => {
	standin = await startStandin({ fineTuneSeconds: 0.2 });
});
afterAll(async () => {
	await standin.close();
	rmSync(dir, { recursive: true, force: true });
});

async function tableCounts(db: Db): Promise<Record<string, number>> {
	const counts: Record<string, number> = {};
	for (const { name } of copyPlan()) {
		const text = `select count(*) as n from "${name}"`;
		counts[name] = Number((await rawSql(db, { sqlite: text, postgres: text }))[0].n);
	}
	return counts;
}

/** Every dataset's every file, in every format, by name. */
async function exports(db: Db): Promise<Map<string, Buffer>> {
	const files = new Map<string, Buffer>();
	for (const frozen of await db.select().from(dataset).orderBy(dataset.id)) {
		const target = (
			await db.select().from(project).where(eq(project.id, frozen.projectId)).limit(1)
		)[0]!;
		for (const format of Object.keys(EXPORT_FORMATS) as ExportFormat[]) {
			for (const split of SPLITS) {
				for (const reasoning of [false, true]) {
					const stream = await exportStream(db, target, frozen.id, { format, split, reasoning });
					const bytes = Buffer.from(await new Response(stream).arrayBuffer());
					files.set(`${frozen.name}/${format}/${split}/${reasoning}`, bytes);
				}
			}
		}
	}
	return files;
}

if (postgresUnderTest()) {
	describe('npm run db:copy', () => {
		it('copies the demo and a two-iteration loop: equal counts and identical exports', async () => {
			const file = join(dir, 'team.db');
			const source = await createMigratedDb(file);
			const running: { stop(): Promise<void> }[] = [];
			const env = await loopSetup(source, standin, running);
			for (const [name, rating] of [
				['one', 3],
				['two', 5]
			] as const) {
				const next = await startNextIteration(
					source,
					env.target,
					env.admin.id,
					nextSpec(env, name)
				);
				if (!next.ok) throw new Error(next.message);
				await evaluationOf(source, next.iterationId);
				await reviewAll(source, env.target, env.rater.id, studentJudge(rating));
				await reviewAll(source, env.target, env.checker.id, () => ({}));
			}
			for (const r of running) await r.stop();
			execFileSync('npx', ['tsx', 'scripts/demo.ts', '--count', '40'], {
				env: { ...process.env, DATABASE_URL: file },
				encoding: 'utf8'
			});
			const countsBefore = await tableCounts(source);
			const filesBefore = await exports(source);

			const url = await freshDatabaseUrl('', { unmigrated: true });
			const said = execFileSync('npx', ['tsx', 'scripts/db-copy.ts', file, url], {
				encoding: 'utf8'
			});
			expect(said).toMatch(/every count matches/);

			const target = openDb(url);
			expect(await tableCounts(target)).toEqual(countsBefore);
			const filesAfter = await exports(target);
			expect([...filesAfter.keys()]).toEqual([...filesBefore.keys()]);
			for (const [name, bytes] of filesBefore)
				expect(filesAfter.get(name)!.equals(bytes), name).toBe(true);
			expect([...filesBefore.values()].some((bytes) => bytes.length > 1000)).toBe(true);
			// The tables the demo and the loop leave empty.
			expect(Object.keys(countsBefore).filter((t) => countsBefore[t] === 0)).toEqual([
				'instance_setting',
				'login_throttle',
				'provider_budget',
				'api_token',
				'session',
				'wake_signal',
				'worker',
				'adjudication',
				'lease',
				'review_requirement_rating',
				'review_skip',
				'synthetic_run',
				'synthetic_topic',
				'synthetic_input'
			]);
			await source.close();
		}, 120_000);
	});
}
