// The accounts and tokens operations' calls.
import { createApiToken } from '../../../src/lib/server/apiTokens';
import { ensureUser } from '../e2e';
import type { AreaCalls } from './calls';

export const userCalls: AreaCalls = async ({ db, admin, member }) => {
	const leaver = await ensureUser('contract-leaver', 'annotator');
	await createApiToken(db, leaver.id, 'nightly import');
	const made = `made-${Date.now()}`;
	const account = {
		username: made,
		displayName: 'Made Over Http',
		password: 'quiet-lantern-harbour-71',
		role: 'annotator'
	};
	return {
		listUsers: [
			{ as: 'admin', status: 200 },
			{ as: 'member', status: 403 },
			{ as: null, status: 401 }
		],
		createUser: [
			{ as: 'admin', body: account, status: 201 },
			{ as: 'admin', body: account, status: 409 },
			{ as: 'admin', body: { ...account, username: 'x', password: 'abc' }, status: 400 },
			{ as: 'member', body: account, status: 403 },
			{ as: null, body: account, status: 401 }
		],
		updateUser: [
			{ as: 'admin', params: { username: made }, body: { active: false }, status: 200 },
			{ as: 'admin', params: { username: made }, body: { active: true }, status: 200 },
			{ as: 'admin', params: { username: made }, body: {}, status: 400 },
			{ as: 'admin', params: { username: made }, body: { role: 'owner' }, status: 400 },
			{ as: 'admin', params: { username: admin.username }, body: { active: false }, status: 409 },
			{ as: 'admin', params: { username: 'no-such-person' }, body: { active: true }, status: 404 },
			{ as: 'member', params: { username: made }, body: { active: false }, status: 403 },
			{ as: null, params: { username: made }, body: { active: false }, status: 401 }
		],
		listUserTokens: [
			{ as: 'admin', params: { username: member.username }, status: 200 },
			{ as: 'admin', params: { username: 'no-such-person' }, status: 404 },
			{ as: 'member', params: { username: member.username }, status: 403 },
			{ as: null, params: { username: member.username }, status: 401 }
		],
		revokeUserTokens: [
			{ as: 'admin', params: { username: leaver.username }, status: 200 },
			{ as: 'admin', params: { username: 'no-such-person' }, status: 404 },
			{ as: 'member', params: { username: leaver.username }, status: 403 },
			{ as: null, params: { username: leaver.username }, status: 401 }
		],
		createToken: [
			{ as: null, body: { username: made, password: account.password, name: 'ci' }, status: 201 },
			{ as: null, body: { username: made, password: 'not-it-at-all', name: 'ci' }, status: 400 },
			{ as: null, body: { username: made, password: account.password }, status: 400 }
		]
	};
};
