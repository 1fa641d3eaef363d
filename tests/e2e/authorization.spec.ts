import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test';
import { addMember, createProject, getProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { example } from '../../src/lib/server/db/schema';
import { eq } from 'drizzle-orm';
import { controlJob, createJob } from '../../src/lib/server/jobs';
import { createRun } from '../../src/lib/server/jobs/synthetic';
import { freezeDataset } from '../../src/lib/server/datasets';
import { cancelFineTune, startFineTune } from '../../src/lib/server/finetune';
import { claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { datasetFilterSchema } from '../../src/lib/schemas/dataset';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { secretKeyFrom } from '../../src/lib/server/secrets';
import { JOB_SETTING_DEFAULTS, jobSettingsSchema } from '../../src/lib/schemas/job';
import { createJudge, DEFAULT_RUBRIC } from '../../src/lib/server/judges';
import { BASE_URL, e2eDb, ensureUser, logInAs, sessionCookie } from '../support/e2e';

/**
 * Every page and every form action, tried as each kind of visitor. A new route fails the
 * completeness check at the bottom until it is added here.
 */
type Visitor = 'anonymous' | 'outsider' | 'member' | 'admin';
/** What a visitor gets: a status, or `login` for a redirect to the login page. */
type Answer = 'login' | 200 | 201 | 303 | 400 | 401 | 403 | 404 | 409 | 502;
type Row = {
	route: string;
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
	/** A named form action (`?/name`), or `default`; pages have none. */
	action?: string;
	expect: Record<Visitor, Answer>;
};

const everyone = (answer: Answer) => ({
	anonymous: answer,
	outsider: answer,
	member: answer,
	admin: answer
});
const memberPage = { anonymous: 'login', outsider: 404, member: 200, admin: 200 } as const;
/** Member actions answer an empty form with 400: past the guard, refused by validation. */
const memberAction = { anonymous: 'login', outsider: 404, member: 400, admin: 400 } as const;
const projectAdminPage = { anonymous: 'login', outsider: 404, member: 403, admin: 200 } as const;
/** Admin-only actions answer an empty form with 400: the guard let them through to validation. */
const projectAdminAction = { anonymous: 'login', outsider: 404, member: 403, admin: 400 } as const;
/** Admin-only actions that take no fields (a button): an empty form is the whole request. */
const projectAdminButton = { anonymous: 'login', outsider: 404, member: 403, admin: 200 } as const;
const apiMember = { anonymous: 401, outsider: 404, member: 200, admin: 200 } as const;
const apiAdmin = { anonymous: 401, outsider: 404, member: 403, admin: 200 } as const;
/** Admin endpoints given no input: the guard let them through to the 400. */
const apiAdminInput = { anonymous: 401, outsider: 404, member: 403, admin: 400 } as const;
/** Admin endpoints that belong to no project, so an outsider is refused as a member is. */
const apiAccounts = (admin: Answer) =>
	({ anonymous: 401, outsider: 403, member: 403, admin }) as const;
const adminPage = { anonymous: 'login', outsider: 403, member: 403, admin: 200 } as const;
const adminAction = { anonymous: 'login', outsider: 403, member: 403, admin: 400 } as const;

const table: Row[] = [
	{ route: '/', method: 'GET', expect: { ...everyone(303), anonymous: 'login' } },
	{ route: '/setup', method: 'GET', expect: everyone('login') },
	{ route: '/setup', method: 'POST', action: 'default', expect: everyone('login') },
	{ route: '/login', method: 'GET', expect: { ...everyone(303), anonymous: 200 } },
	{
		route: '/login',
		method: 'POST',
		action: 'default',
		expect: { ...everyone(303), anonymous: 400 }
	},
	{ route: '/logout', method: 'POST', expect: everyone('login') },
	{ route: '/projects', method: 'GET', expect: { ...everyone(200), anonymous: 'login' } },
	{ route: '/projects/new', method: 'GET', expect: adminPage },
	{ route: '/projects/new', method: 'POST', action: 'default', expect: adminAction },
	{ route: '/projects/[id=integer]', method: 'GET', expect: memberPage },
	{ route: '/projects/[id=integer]/review', method: 'GET', expect: memberPage },
	{ route: '/projects/[id=integer]/mine', method: 'GET', expect: memberPage },
	{
		route: '/projects/[id=integer]/review',
		method: 'POST',
		action: 'submit',
		expect: memberAction
	},
	{ route: '/projects/[id=integer]/review', method: 'POST', action: 'skip', expect: memberAction },
	{ route: '/projects/[id=integer]/review', method: 'POST', action: 'undo', expect: memberAction },
	{ route: '/projects/[id=integer]/review/next', method: 'POST', expect: memberAction },
	{ route: '/projects/[id=integer]/review/lease', method: 'POST', expect: memberAction },
	{ route: '/projects/[id=integer]/compare', method: 'GET', expect: memberPage },
	...(['judge', 'skip', 'undo'] as const).map((action): Row => ({
		route: '/projects/[id=integer]/compare',
		method: 'POST',
		action,
		expect: memberAction
	})),
	{ route: '/projects/[id=integer]/compare/next', method: 'POST', expect: memberAction },
	{ route: '/projects/[id=integer]/examples', method: 'GET', expect: memberPage },
	{
		route: '/projects/[id=integer]/examples/[exampleId=integer]',
		method: 'GET',
		expect: memberPage
	},
	{
		route: '/projects/[id=integer]/examples/[exampleId=integer]',
		method: 'POST',
		action: 'release',
		expect: projectAdminButton
	},
	{
		route: '/projects/[id=integer]/examples/[exampleId=integer]',
		method: 'POST',
		action: 'requeue',
		expect: projectAdminButton
	},
	{
		route: '/projects/[id=integer]/examples/[exampleId=integer]',
		method: 'POST',
		action: 'gold',
		expect: projectAdminAction
	},
	// The table's example is not gold, so an admin is told there is nothing to unmark.
	{
		route: '/projects/[id=integer]/examples/[exampleId=integer]',
		method: 'POST',
		action: 'ungold',
		expect: { ...projectAdminAction, admin: 409 }
	},
	{
		route: '/projects/[id=integer]/examples',
		method: 'POST',
		action: 'requeue',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/examples',
		method: 'POST',
		action: 'judge',
		expect: projectAdminAction
	},
	{ route: '/projects/[id=integer]/adjudication', method: 'GET', expect: projectAdminPage },
	// The table's example is not disputed: its page still answers, saying so.
	{
		route: '/projects/[id=integer]/adjudication/[exampleId=integer]',
		method: 'GET',
		expect: projectAdminPage
	},
	{
		route: '/projects/[id=integer]/adjudication/[exampleId=integer]',
		method: 'POST',
		action: 'resolve',
		expect: projectAdminAction
	},
	{ route: '/projects/[id=integer]/import', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/import',
		method: 'POST',
		action: 'default',
		expect: projectAdminAction
	},
	{ route: '/projects/[id=integer]/agreement', method: 'GET', expect: projectAdminPage },
	{ route: '/projects/[id=integer]/members', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/members',
		method: 'POST',
		action: 'add',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/members',
		method: 'POST',
		action: 'remove',
		expect: projectAdminAction
	},
	{ route: '/projects/[id=integer]/settings', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/settings',
		method: 'POST',
		action: 'save',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/settings',
		method: 'POST',
		action: 'queue',
		expect: projectAdminAction
	},
	// The admin archives the table's project and the next row restores it: the rows run in
	// order, and only refused visitors come between.
	...(['archive', 'restore'] as const).map((action): Row => ({
		route: '/projects/[id=integer]/settings',
		method: 'POST',
		action,
		expect: projectAdminButton
	})),
	{ route: '/admin/users', method: 'GET', expect: adminPage },
	{ route: '/admin/users', method: 'POST', action: 'create', expect: adminAction },
	{ route: '/admin/users', method: 'POST', action: 'role', expect: adminAction },
	{ route: '/admin/users', method: 'POST', action: 'active', expect: adminAction },
	{ route: '/admin/users', method: 'POST', action: 'password', expect: adminAction },
	{ route: '/admin/users', method: 'POST', action: 'revokeToken', expect: adminAction },
	{ route: '/account', method: 'GET', expect: { ...everyone(200), anonymous: 'login' } },
	// No theme chosen.
	{
		route: '/account',
		method: 'POST',
		action: 'setTheme',
		expect: { ...everyone(400), anonymous: 'login' }
	},
	// An empty form: the name is missing, or no token is chosen.
	{
		route: '/account',
		method: 'POST',
		action: 'createToken',
		expect: { ...everyone(400), anonymous: 'login' }
	},
	{
		route: '/account',
		method: 'POST',
		action: 'revokeToken',
		expect: { ...everyone(400), anonymous: 'login' }
	},
	// No current password, no new one.
	{
		route: '/account',
		method: 'POST',
		action: 'changePassword',
		expect: { ...everyone(400), anonymous: 'login' }
	},
	// No session chosen.
	{
		route: '/account',
		method: 'POST',
		action: 'endSession',
		expect: { ...everyone(400), anonymous: 'login' }
	},
	// A button: the visitor's other sessions end, the one it came with stays.
	{
		route: '/account',
		method: 'POST',
		action: 'endOtherSessions',
		expect: { ...everyone(200), anonymous: 'login' }
	},
	// The API answers 401 instead of sending anyone to the login page; the table's visitors
	// come with a session cookie, which the API takes as a token is taken.
	{ route: '/api/v1/openapi.json', method: 'GET', expect: everyone(200) },
	{ route: '/api/v1/projects', method: 'GET', expect: { ...everyone(200), anonymous: 401 } },
	// Creating a project belongs to no project: an annotator is refused, an empty body is not one.
	{
		route: '/api/v1/projects',
		method: 'POST',
		expect: { anonymous: 401, outsider: 403, member: 403, admin: 400 }
	},
	{ route: '/api/v1/projects/[id=integer]', method: 'GET', expect: apiMember },
	{ route: '/api/v1/projects/[id=integer]', method: 'PATCH', expect: apiAdminInput },
	// Archived, then restored by the next row, as on the settings page.
	{ route: '/api/v1/projects/[id=integer]/archive', method: 'POST', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/restore', method: 'POST', expect: apiAdmin },
	// Accounts belong to no project: every annotator is refused alike; the table's person is
	// nobody, so an admin is told so.
	{ route: '/api/v1/users', method: 'GET', expect: apiAccounts(200) },
	{ route: '/api/v1/users', method: 'POST', expect: apiAccounts(400) },
	{ route: '/api/v1/users/[username]', method: 'PATCH', expect: apiAccounts(404) },
	{ route: '/api/v1/users/[username]/tokens', method: 'GET', expect: apiAccounts(404) },
	{ route: '/api/v1/users/[username]/tokens', method: 'DELETE', expect: apiAccounts(404) },
	// Anyone may ask for a token with a password; a form without one is refused alike.
	{ route: '/api/v1/tokens', method: 'POST', expect: everyone(400) },
	{ route: '/api/v1/projects/[id=integer]/disputes', method: 'GET', expect: apiAdmin },
	{
		route: '/api/v1/projects/[id=integer]/disputes/[exampleId=integer]',
		method: 'POST',
		expect: apiAdminInput
	},
	{
		route: '/api/v1/projects/[id=integer]/examples/[exampleId=integer]/gold',
		method: 'POST',
		expect: apiAdminInput
	},
	// The table's example is not gold: an admin is told there is nothing to unmark.
	{
		route: '/api/v1/projects/[id=integer]/examples/[exampleId=integer]/gold',
		method: 'DELETE',
		expect: { anonymous: 401, outsider: 404, member: 403, admin: 409 }
	},
	{ route: '/api/v1/projects/[id=integer]/members', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/members', method: 'POST', expect: apiAdminInput },
	// The table's username is nobody's, so an admin is told there is no such member.
	{
		route: '/api/v1/projects/[id=integer]/members/[username]',
		method: 'DELETE',
		expect: { anonymous: 401, outsider: 404, member: 403, admin: 404 }
	},
	{ route: '/api/v1/projects/[id=integer]/examples', method: 'GET', expect: apiMember },
	// Reviewing: any member may claim (the table's one example may be leased already, and the
	// answer is then null) and read reviews; a form body is no example named, so 400.
	{ route: '/api/v1/projects/[id=integer]/queue/claim', method: 'POST', expect: apiMember },
	{
		route: '/api/v1/projects/[id=integer]/queue/skip',
		method: 'POST',
		expect: { ...apiMember, member: 400, admin: 400 }
	},
	{
		route: '/api/v1/projects/[id=integer]/reviews',
		method: 'POST',
		expect: { ...apiMember, member: 400, admin: 400 }
	},
	{ route: '/api/v1/projects/[id=integer]/reviews/import', method: 'POST', expect: apiAdminInput },
	{
		route: '/api/v1/projects/[id=integer]/examples/[exampleId=integer]/reviews',
		method: 'GET',
		expect: apiMember
	},
	// An empty body is not a file of examples.
	{ route: '/api/v1/projects/[id=integer]/examples', method: 'POST', expect: apiAdminInput },
	{
		route: '/api/v1/projects/[id=integer]/examples/[exampleId=integer]',
		method: 'GET',
		expect: apiMember
	},
	{ route: '/api/v1/projects/[id=integer]/agreement', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/jobs', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/jobs', method: 'POST', expect: apiAdminInput },
	{ route: '/api/v1/projects/[id=integer]/jobs/[jobId=integer]', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/evaluations', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/evaluations', method: 'POST', expect: apiAdminInput },
	{ route: '/api/v1/projects/[id=integer]/fine-tunes', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/fine-tunes', method: 'POST', expect: apiAdminInput },
	{
		route: '/api/v1/projects/[id=integer]/fine-tunes/[fineTuneId=integer]',
		method: 'GET',
		expect: apiAdmin
	},
	{ route: '/api/v1/projects/[id=integer]/judges', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/judges', method: 'POST', expect: apiAdminInput },
	{
		route: '/api/v1/projects/[id=integer]/judges/[judgeId=integer]',
		method: 'GET',
		expect: apiAdmin
	},
	{
		route: '/api/v1/projects/[id=integer]/judges/[judgeId=integer]/runs',
		method: 'POST',
		expect: apiAdminInput
	},
	{ route: '/api/v1/projects/[id=integer]/comparisons', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/comparisons', method: 'POST', expect: apiAdminInput },
	{
		route: '/api/v1/projects/[id=integer]/comparisons/[comparisonId=integer]/gold',
		method: 'POST',
		expect: apiAdminInput
	},
	{ route: '/projects/[id=integer]/comparisons', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/comparisons',
		method: 'POST',
		action: 'gold',
		expect: projectAdminAction
	},
	{ route: '/api/v1/projects/[id=integer]/iterations', method: 'GET', expect: apiAdmin },
	{ route: '/api/v1/projects/[id=integer]/iterations', method: 'POST', expect: apiAdminInput },
	// Without the two models to compare, an admin is told to give them.
	{
		route: '/api/v1/projects/[id=integer]/iterations/compare',
		method: 'GET',
		expect: apiAdminInput
	},
	{ route: '/api/v1/projects/[id=integer]/datasets', method: 'GET', expect: apiAdmin },
	// An empty form is not the JSON of a name and a filter.
	{ route: '/api/v1/projects/[id=integer]/datasets', method: 'POST', expect: apiAdminInput },
	{
		route: '/api/v1/projects/[id=integer]/datasets/preview',
		method: 'POST',
		expect: apiAdminInput
	},
	{
		route: '/api/v1/projects/[id=integer]/datasets/[datasetId=integer]',
		method: 'GET',
		expect: apiAdmin
	},
	{
		route: '/api/v1/projects/[id=integer]/datasets/[datasetId=integer]/export',
		method: 'GET',
		expect: apiAdminInput
	},
	{ route: '/admin/retirements', method: 'GET', expect: adminPage },
	{ route: '/admin/retirements', method: 'POST', action: 'save', expect: adminAction },
	{ route: '/admin/retirements', method: 'POST', action: 'remove', expect: adminAction },
	{ route: '/admin/providers', method: 'GET', expect: adminPage },
	{ route: '/admin/providers', method: 'POST', action: 'create', expect: adminAction },
	{ route: '/admin/providers', method: 'POST', action: 'test', expect: adminAction },
	{ route: '/admin/providers', method: 'POST', action: 'remove', expect: adminAction },
	{ route: '/admin/providers', method: 'POST', action: 'addModel', expect: adminAction },
	{ route: '/admin/providers', method: 'POST', action: 'removeModel', expect: adminAction },
	{ route: '/projects/[id=integer]/jobs', method: 'GET', expect: projectAdminPage },
	{ route: '/projects/[id=integer]/jobs/new', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/jobs/new',
		method: 'POST',
		action: 'default',
		expect: projectAdminAction
	},
	{ route: '/projects/[id=integer]/jobs/[jobId=integer]', method: 'GET', expect: projectAdminPage },
	{ route: '/projects/[id=integer]/playground', method: 'GET', expect: projectAdminPage },
	// An empty form chooses no model and gives no input.
	{
		route: '/projects/[id=integer]/playground',
		method: 'POST',
		action: 'run',
		expect: projectAdminAction
	},
	{ route: '/projects/[id=integer]/jobs/synthetic', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/jobs/synthetic',
		method: 'POST',
		action: 'create',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/jobs/synthetic/[runId=integer]',
		method: 'GET',
		expect: projectAdminPage
	},
	...(['rename', 'add', 'remove', 'editDraft', 'removeDrafts', 'start'] as const).map(
		(action): Row => ({
			route: '/projects/[id=integer]/jobs/synthetic/[runId=integer]',
			method: 'POST',
			action,
			expect: projectAdminAction
		})
	),
	// These ask the teacher, and the table's provider listens nowhere: the admin is told so.
	...(['grow', 'draft'] as const).map((action): Row => ({
		route: '/projects/[id=integer]/jobs/synthetic/[runId=integer]',
		method: 'POST',
		action,
		expect: { ...projectAdminAction, admin: 502 }
	})),
	{ route: '/projects/[id=integer]/datasets', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/datasets',
		method: 'POST',
		action: 'freeze',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/datasets/[datasetId=integer]',
		method: 'GET',
		expect: projectAdminPage
	},
	{
		route: '/projects/[id=integer]/datasets/[datasetId=integer]',
		method: 'POST',
		action: 'fineTune',
		expect: projectAdminAction
	},
	{ route: '/projects/[id=integer]/finetunes', method: 'GET', expect: projectAdminPage },
	{ route: '/projects/[id=integer]/judges', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/judges',
		method: 'POST',
		action: 'create',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/judges/[judgeId=integer]',
		method: 'GET',
		expect: projectAdminPage
	},
	{
		route: '/projects/[id=integer]/judges/[judgeId=integer]',
		method: 'POST',
		action: 'save',
		expect: projectAdminAction
	},
	// The judge's model is on a provider nobody listens at: the trial says so, with a 400.
	{
		route: '/projects/[id=integer]/judges/[judgeId=integer]',
		method: 'POST',
		action: 'try',
		expect: projectAdminAction
	},
	// An empty form names no selection.
	{
		route: '/projects/[id=integer]/judges/[judgeId=integer]',
		method: 'POST',
		action: 'run',
		expect: projectAdminAction
	},
	// Last of the judge's rows: the admin's delete goes through, back to the list.
	{
		route: '/projects/[id=integer]/judges/[judgeId=integer]',
		method: 'POST',
		action: 'delete',
		expect: { ...projectAdminButton, admin: 303 }
	},
	{ route: '/projects/[id=integer]/iterations', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/iterations',
		method: 'POST',
		action: 'evaluate',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/iterations',
		method: 'POST',
		action: 'compare',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/iterations',
		method: 'POST',
		action: 'comparePeople',
		expect: projectAdminAction
	},
	{ route: '/projects/[id=integer]/iterations/next', method: 'GET', expect: projectAdminPage },
	{
		route: '/projects/[id=integer]/iterations/next',
		method: 'POST',
		action: 'start',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/finetunes/[fineTuneId=integer]',
		method: 'GET',
		expect: projectAdminPage
	},
	// The table's fine-tune was cancelled at once, so an admin is told it cannot be again.
	{
		route: '/projects/[id=integer]/finetunes/[fineTuneId=integer]',
		method: 'POST',
		action: 'cancel',
		expect: { ...projectAdminAction, admin: 409 }
	},
	// An empty form: the served URL and model name are missing.
	{
		route: '/projects/[id=integer]/finetunes/[fineTuneId=integer]',
		method: 'POST',
		action: 'registerServed',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/datasets/[datasetId=integer]',
		method: 'POST',
		action: 'registerModel',
		expect: projectAdminAction
	},
	{
		route: '/projects/[id=integer]/datasets/[datasetId=integer]/bundle',
		method: 'GET',
		expect: projectAdminPage
	},
	// Without a format, an admin is told to choose one.
	{
		route: '/projects/[id=integer]/datasets/[datasetId=integer]/zip',
		method: 'GET',
		expect: projectAdminAction
	},
	// Without a split and a format, an admin is told which are needed.
	{
		route: '/projects/[id=integer]/datasets/[datasetId=integer]/download',
		method: 'GET',
		expect: projectAdminAction
	},
	// The table's job was cancelled at once, so an admin is told it cannot change.
	...(['pause', 'resume', 'cancel'] as const).map((action): Row => ({
		route: '/projects/[id=integer]/jobs/[jobId=integer]',
		method: 'POST',
		action,
		expect: { ...projectAdminAction, admin: 409 }
	})),
	// The table's job has no outputs, so an admin is told there is nothing to compare.
	{
		route: '/projects/[id=integer]/jobs/[jobId=integer]',
		method: 'POST',
		action: 'compare',
		expect: projectAdminAction
	}
];

const ids = { project: 0, example: 0, job: 0, run: 0, dataset: 0, fineTune: 0, judge: 0 };
const users: Record<Exclude<Visitor, 'anonymous'>, string> = {
	outsider: '',
	member: '',
	admin: ''
};

test.beforeAll(async () => {
	const db = e2eDb();
	const admin = await ensureUser('authz-admin', 'admin');
	const member = await ensureUser('authz-member', 'annotator');
	const outsider = await ensureUser('authz-outsider', 'annotator');
	Object.assign(users, { admin: admin.id, member: member.id, outsider: outsider.id });
	const definition = projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: 'Authorization' });
	const created = await createProject(db, definition, admin.id);
	await addMember(db, created.id, member.id);
	async function* rows() {
		yield '{"input": "a question", "output": "an answer"}\n';
	}
	await importExamples(db, created, {
		source: rows(),
		format: 'jsonl',
		filename: 'authz.jsonl',
		userId: admin.id
	});
	ids.project = created.id;
	ids.example = (
		await db.select().from(example).where(eq(example.projectId, created.id)).limit(1)
	)[0]!.id;
	// The admin accepts it, so a dataset can be frozen from it.
	const claimed = (await claimNext(db, created.id, admin.id, new Date()))!;
	await submitReview(
		db,
		created.id,
		admin.id,
		{
			exampleId: claimed.exampleId,
			revisionId: claimed.revisionId,
			rating: 5,
			decision: 'accept',
			requirementRatings: new Map(),
			submissionKey: `authz-${created.id}`
		},
		new Date()
	);
	const frozen = await freezeDataset(
		db,
		(await getProject(db, created.id))!,
		'authz',
		datasetFilterSchema.parse({}),
		admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);
	ids.dataset = frozen.datasetId;
	// A job on a provider nobody listens at, cancelled before the runner looks at it.
	const nowhere = await createProvider(db, secretKeyFrom('authorization table'), {
		name: 'Nowhere',
		baseUrl: 'http://127.0.0.1:9/v1',
		apiKey: '',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const teacher = await addModel(db, nowhere.id, {
		name: 'teacher',
		inputPricePerMTok: 0,
		outputPricePerMTok: 0
	});
	ids.job = await createJob(db, created, admin.id, {
		modelIds: [teacher.id],
		settings: jobSettingsSchema.parse(JOB_SETTING_DEFAULTS),
		inputs: ['a question'],
		source: { kind: 'file', filename: 'authz.jsonl' }
	});
	await controlJob(db, created.id, ids.job, 'cancel');
	const tune = await startFineTune(
		db,
		(await getProject(db, created.id))!,
		frozen.datasetId,
		{
			// Together trains on a single example; OpenAI would want ten.
			adapter: 'together',
			providerId: nowhere.id,
			baseModel: 'base',
			suffix: null,
			hyperparameters: { epochs: null, batchSize: null, learningRateMultiplier: null }
		},
		admin.id
	);
	if (!tune.ok) throw new Error(tune.message);
	ids.fineTune = tune.fineTuneId;
	const judged = await createJudge(
		db,
		created.id,
		{
			name: 'authz',
			modelId: teacher.id,
			rubric: DEFAULT_RUBRIC,
			withReference: false,
			temperature: null
		},
		admin.id
	);
	if (!judged.ok) throw new Error(judged.message);
	ids.judge = judged.judgeId;
	await cancelFineTune(db, secretKeyFrom('authorization table'), created.id, tune.fineTuneId);
	ids.run = await createRun(
		db,
		created.id,
		{
			modelId: teacher.id,
			rootTopic: 'questions',
			guidance: '',
			breadth: 2,
			depth: 1,
			inputsPerLeaf: 1
		},
		admin.id
	);
});

function urlFor(row: Row): string {
	const path = row.route
		.replace('[id=integer]', String(ids.project))
		.replace('[exampleId=integer]', String(ids.example))
		.replace('[jobId=integer]', String(ids.job))
		.replace('[runId=integer]', String(ids.run))
		.replace('[datasetId=integer]', String(ids.dataset))
		.replace('[fineTuneId=integer]', String(ids.fineTune))
		.replace('[judgeId=integer]', String(ids.judge))
		// The form the table sends is refused before any comparison is looked up.
		.replace('[comparisonId=integer]', '1')
		.replace('[username]', 'nobody-in-the-table');
	return row.action && row.action !== 'default' ? `${path}?/${row.action}` : path;
}

async function client(visitor: Visitor): Promise<APIRequestContext> {
	// A fresh session for every request: the logout row ends the one it is given.
	const cookie =
		visitor === 'anonymous' ? undefined : `auth-session=${await sessionCookie(users[visitor])}`;
	return request.newContext({
		baseURL: BASE_URL,
		// As a browser submitting a form without JavaScript.
		extraHTTPHeaders: {
			accept: 'text/html',
			origin: BASE_URL,
			...(cookie ? { cookie } : {})
		}
	});
}

/**
 * Every page of the table an admin is shown, and the login page as everyone first sees it;
 * before the table's form actions run, which delete some of what these pages show.
 */
const pageRoutes = new Set(
	discoverRoutes()
		.filter((r) => r.startsWith('GET '))
		.map((r) => r.slice(4))
		.filter((route) => existsSync(join('src/routes', route, '+page.svelte')))
);
const pagesToCheck = table.filter(
	(row) => row.method === 'GET' && pageRoutes.has(row.route) && row.expect.admin === 200
);

for (const theme of ['light', 'dark'] as const) {
	test(`every page in the table has no critical or serious accessibility problem, in the ${theme} theme`, async ({
		browser
	}) => {
		test.setTimeout(180_000);
		const problems: string[] = [];
		const check = async (page: Page, where: string) => {
			const { violations } = await new AxeBuilder({ page }).analyze();
			for (const v of violations) {
				if (v.impact !== 'critical' && v.impact !== 'serious') continue;
				const at = v.nodes.slice(0, 3).map((n) => n.target.join(' '));
				problems.push(`${where}: ${v.id} (${v.impact}) ×${v.nodes.length} at ${at.join(' | ')}`);
			}
		};
		const anonymous = await browser.newContext({ colorScheme: theme });
		const login = await anonymous.newPage();
		await login.goto('/login');
		await check(login, '/login');
		await anonymous.close();

		const context = await browser.newContext({ colorScheme: theme });
		await logInAs(context, users.admin);
		const page = await context.newPage();
		for (const row of pagesToCheck) {
			const response = await page.goto(urlFor(row));
			expect(response?.status(), row.route).toBe(200);
			await check(page, row.route);
		}
		await context.close();
		expect(problems).toEqual([]);
	});
}

for (const row of table) {
	for (const visitor of ['anonymous', 'outsider', 'member', 'admin'] as const) {
		const expected = row.expect[visitor];
		test(`${row.method} ${row.route}${row.action ? ` ?/${row.action}` : ''} as ${visitor} → ${expected}`, async () => {
			const api = await client(visitor);
			const response =
				row.method === 'GET'
					? await api.get(urlFor(row), { maxRedirects: 0 })
					: row.method === 'DELETE'
						? await api.delete(urlFor(row), { maxRedirects: 0 })
						: await api.fetch(urlFor(row), { method: row.method, form: {}, maxRedirects: 0 });
			if (expected === 'login') {
				expect(response.status()).toBe(303);
				expect(response.headers()['location']).toMatch(/^\/login(\?|$)/);
			} else {
				expect(response.status()).toBe(expected);
			}
			const body = await response.text();
			expect(body).not.toMatch(/\bat \S+ \(\S+:\d+:\d+\)|SQLITE_[A-Z]+|SqliteError/);
			await api.dispose();
		});
	}
}

/** Pages (+page.svelte, +server.ts) and the actions named in +page.server.ts files. */
function discoverRoutes(): string[] {
	const root = 'src/routes';
	const found: string[] = [];
	const walk = (dir: string) => {
		for (const name of readdirSync(dir)) {
			const path = join(dir, name);
			if (statSync(path).isDirectory()) {
				walk(path);
				continue;
			}
			const route = '/' + relative(root, dir).split(sep).join('/');
			const id = route === '/' ? '/' : route.replace(/\/$/, '');
			if (name === '+page.svelte') found.push(`GET ${id}`);
			if (name === '+server.ts') {
				for (const [, method] of readFileSync(path, 'utf8').matchAll(
					/export const (GET|POST|PUT|PATCH|DELETE)\b/g
				)) {
					found.push(`${method} ${id}`);
				}
			}
			if (name === '+page.server.ts') {
				const source = readFileSync(path, 'utf8');
				const block = source.split('export const actions')[1];
				if (!block) continue;
				for (const [, action] of block.matchAll(/^\t(\w+):/gm)) {
					found.push(`POST ${id} ${action}`);
				}
			}
		}
	};
	walk(root);
	return found.map((r) => r.replace('GET //', 'GET /')).sort();
}

test('every page, endpoint and form action is in the authorization table', () => {
	const listed = table
		.map((row) => `${row.method} ${row.route}${row.action ? ` ${row.action}` : ''}`)
		.sort();
	expect(listed).toEqual(discoverRoutes());
});
