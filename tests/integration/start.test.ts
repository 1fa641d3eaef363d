import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, test } from 'vitest';

// npm start runs scripts/start.js; each test runs a copy of it in a folder of its own, with the
// project's node_modules or a stand-in better-sqlite3, so nothing is built or served for real.

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startFolder(): string {
	const dir = mkdtempSync(join(tmpdir(), 'winnow-start-'));
	dirs.push(dir);
	writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
	mkdirSync(join(dir, 'scripts'));
	cpSync('scripts/start.js', join(dir, 'scripts/start.js'));
	return dir;
}

// A server that says it started and stops, so that start.js has a build to serve.
function fakeBuild(dir: string) {
	mkdirSync(join(dir, 'build'));
	writeFileSync(join(dir, 'build/index.js'), "console.log('serving on', process.env.PORT);\n");
}

function runStart(dir: string, node = process.execPath) {
	const run = spawnSync(node, ['scripts/start.js'], {
		cwd: dir,
		env: { ...process.env, PORT: '3999', DATABASE_URL: join(dir, 'winnow.db') },
		encoding: 'utf8',
		timeout: 30_000
	});
	return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const thisVersion = process.versions.modules;
const otherVersion = thisVersion === '115' ? '137' : '115';

test('with better-sqlite3 built for this Node.js, start serves the build', () => {
	const dir = startFolder();
	symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
	fakeBuild(dir);

	const run = runStart(dir);

	expect(run.stderr).toBe('');
	expect(run.stdout).toContain('serving on 3999');
	expect(run.status).toBe(0);
});

test('a better-sqlite3 built for another Node.js is named in one line with the command that fixes it', () => {
	const dir = startFolder();
	fakeBuild(dir);
	// What Node.js 24 said here on loading a better-sqlite3 that Node.js 20 had built.
	const dlopenMessage = [
		"The module '/project/node_modules/better-sqlite3/build/Release/better_sqlite3.node'",
		'was compiled against a different Node.js version using',
		`NODE_MODULE_VERSION ${otherVersion}. This version of Node.js requires`,
		`NODE_MODULE_VERSION ${thisVersion}. Please try re-compiling or re-installing`,
		'the module (for instance, using `npm rebuild` or `npm install`).'
	].join('\n');
	const stub = join(dir, 'node_modules/better-sqlite3');
	mkdirSync(stub, { recursive: true });
	writeFileSync(join(stub, 'package.json'), JSON.stringify({ name: 'better-sqlite3' }));
	writeFileSync(
		join(stub, 'index.js'),
		`module.exports = function Database() {
	const error = new Error(${JSON.stringify(dlopenMessage)});
	error.code = 'ERR_DLOPEN_FAILED';
	throw error;
};\n`
	);

	const run = runStart(dir);

	expect(run.status).toBe(1);
	expect(run.stdout).toBe('');
	expect(run.stderr).toBe(
		`better-sqlite3 was built for another Node.js (module version ${otherVersion}; Node.js ${process.version} needs ${thisVersion}): run \`npm rebuild better-sqlite3\`, then \`npm start\` again.\n`
	);
});

// CI's Node 24 pass names the Node 20 binary here, so that the project's own better-sqlite3,
// built for Node 24, really fails to load.
const otherNode = process.env.WINNOW_OTHER_NODE;
const otherNodeVersion =
	otherNode && execFileSync(otherNode, ['-p', 'process.versions.modules'], { encoding: 'utf8' });

test.skipIf(!otherNodeVersion || otherNodeVersion.trim() === thisVersion)(
	'the project’s own better-sqlite3 under a Node.js of another module version: the same one line',
	() => {
		const dir = startFolder();
		symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
		fakeBuild(dir);

		const run = runStart(dir, otherNode);

		expect(run.status).toBe(1);
		expect(run.stdout).toBe('');
		expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
		expect(run.stderr).toMatch(
			new RegExp(
				`^better-sqlite3 was built for another Node.js \\(module version ${thisVersion}; Node.js v[\\d.]+ needs ${otherNodeVersion!.trim()}\\): run \`npm rebuild better-sqlite3\``
			)
		);
	}
);
