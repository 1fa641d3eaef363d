import { and, count, eq, gt, inArray, ne } from 'drizzle-orm';
import type { Db } from './db';
import { dataset, example, fineTune, project, projectMember, provider, user } from './db/schema';

/**
 * How far an install or a project has come along the loop, each step read as "is there one
 * yet" (a row or none), so it stays cheap on a project of millions of examples.
 */
export type InstallProgress = { provider: boolean; project: boolean; people: boolean };
export type ProjectProgress = {
	provider: boolean;
	people: boolean;
	examples: boolean;
	reviews: boolean;
	accepted: boolean;
	dataset: boolean;
	fineTune: boolean;
};

const anyRow = async (rows: Promise<unknown[]>) => (await rows).length > 0;

export async function installProgress(db: Db): Promise<InstallProgress> {
	const [providers, projects, people] = await Promise.all([
		anyRow(db.select({ id: provider.id }).from(provider).limit(1)),
		anyRow(db.select({ id: project.id }).from(project).limit(1)),
		db.select({ n: count() }).from(user).where(eq(user.active, true)).limit(1)
	]);
	return { provider: providers, project: projects, people: Number(people[0]?.n ?? 0) > 1 };
}

/** `viewerId`: the admin looking, whose own membership does not make the project staffed. */
export async function projectProgress(
	db: Db,
	projectId: number,
	viewerId: string
): Promise<ProjectProgress> {
	const inProject = eq(example.projectId, projectId);
	const [providers, members, examples, reviews, accepted, datasets, fineTunes] = await Promise.all([
		anyRow(db.select({ id: provider.id }).from(provider).limit(1)),
		// Someone besides the admin looking, who is a member by making the project.
		anyRow(
			db
				.select({ userId: projectMember.userId })
				.from(projectMember)
				.where(and(eq(projectMember.projectId, projectId), ne(projectMember.userId, viewerId)))
				.limit(1)
		),
		anyRow(db.select({ id: example.id }).from(example).where(inProject).limit(1)),
		// Read by status, on its index: an example with a review is in review or settled.
		anyRow(
			db
				.select({ id: example.id })
				.from(example)
				.where(
					and(
						inProject,
						inArray(example.status, ['in_review', 'accepted', 'rejected', 'disputed']),
						gt(example.reviewCount, 0)
					)
				)
				.limit(1)
		),
		anyRow(
			db
				.select({ id: example.id })
				.from(example)
				.where(and(inProject, eq(example.status, 'accepted')))
				.limit(1)
		),
		anyRow(
			db.select({ id: dataset.id }).from(dataset).where(eq(dataset.projectId, projectId)).limit(1)
		),
		anyRow(
			db
				.select({ id: fineTune.id })
				.from(fineTune)
				.where(eq(fineTune.projectId, projectId))
				.limit(1)
		)
	]);
	return {
		provider: providers,
		people: members,
		examples,
		reviews,
		accepted,
		dataset: datasets,
		fineTune: fineTunes
	};
}
