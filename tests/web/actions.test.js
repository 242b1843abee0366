#!/usr/bin/env node
/*
 * actions.test.js - the dashboard's actions in a real headless chromium, as TAP.
 *
 * usage: node actions.test.js URL --control DIR [--screenshot FILE] [--chromium PATH]
 *
 * Needs the desktop profile on a live simulator, passd with libvirt's test driver and a shut
 * off domain "gpu-vm", and $PASSD_TOKEN_READER/_OPERATOR/_ADMIN (tests/lib/test-lib.sh). It
 * checks: the first render (timed), that an operator sees the actions, that a bind through
 * the API shows within one poll, a bind from the page (dialog with the dry-run plan of the
 * whole group, then the answer), an assignment from the page to gpu-vm and its release, that a
 * reader sees no action, and the unreachable banner while passd is stopped (--control DIR, as
 * in dashboard.test.js: DIR/SEQ.VERB, answered by DIR/SEQ.done).
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const POLL_MS = 2000;
const args = process.argv.slice(2);
const o = { url: null, control: null, screenshot: null, chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
for (let i = 0; i < args.length; i++) {
	if (args[i] === '--control')
		o.control = args[++i];
	else if (args[i] === '--screenshot')
		o.screenshot = args[++i];
	else if (args[i] === '--chromium')
		o.chromium = args[++i];
	else
		o.url = args[i];
}
if (!o.url) {
	process.stderr.write('usage: actions.test.js URL --control DIR [--screenshot FILE]\n');
	process.exit(2);
}

const TOK = { reader: process.env.PASSD_TOKEN_READER, operator: process.env.PASSD_TOKEN_OPERATOR,
	admin: process.env.PASSD_TOKEN_ADMIN };
let n = 0;
let failed = 0;
function report(ok, name, why) {
	n++;
	if (!ok)
		failed++;
	process.stdout.write((ok ? 'ok ' : 'not ok ') + n + ' - ' + name + '\n');
	if (!ok && why)
		diag(String(why));
}
function diag(t) {
	process.stdout.write(t.split('\n').map((l) => '# ' + l).join('\n') + '\n');
}

async function api(method, p, body, role = 'admin') {
	const headers = { Accept: 'application/json', Authorization: 'Bearer ' + TOK[role] };
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	const r = await fetch(new URL(p, o.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
	return { status: r.status, body: await r.json().catch(() => null) };
}

async function control(verb) {
	fs.readdirSync(o.control); /* exists */
	control.seq = (control.seq || 0) + 1;
	fs.writeFileSync(path.join(o.control, control.seq + '.' + verb), '');
	const done = path.join(o.control, control.seq + '.done');
	for (let i = 0; i < 300; i++) {
		if (fs.existsSync(done))
			return fs.readFileSync(done, 'utf8').trim() === '0';
		await new Promise((r) => setTimeout(r, 100));
	}
	return false;
}

/* Wait until fn() in the page is truthy; resolves to ms waited, or throws with why. */
async function until(page, fn, arg, ms, why) {
	const t0 = Date.now();
	try {
		await page.waitForFunction(fn, arg, { timeout: ms, polling: 50 });
	} catch (e) {
		throw new Error(why + ' (not within ' + ms + ' ms)');
	}
	return Date.now() - t0;
}

async function step(name, fn) {
	try {
		const extra = await fn();
		report(true, name + (extra ? ' (' + extra + ')' : ''));
	} catch (e) {
		report(false, name, e.stack || e.message);
	}
}

/* Open the action dialog of ADDR's button ACT, wait for the plan, return the planned addresses. */
async function openPlan(page, act, addr) {
	await page.click('tr[data-address="' + addr + '"] button[data-act="' + act + '"]');
	await until(page, () => {
		const d = document.getElementById('confirm');
		return d && d.open && (document.querySelector('#confirm-plan .plan, #confirm-plan .plan-error'));
	}, null, 10000, 'the dialog shows a plan');
	return page.evaluate(() => ({
		err: (document.querySelector('#confirm-plan .plan-error') || {}).textContent || null,
		addrs: [...document.querySelectorAll('#confirm-plan [data-plan-address]')].map((r) => r.dataset.planAddress).sort(),
		text: document.getElementById('confirm-plan').textContent,
	}));
}

async function confirm(page) {
	await page.click('#confirm-ok');
	await until(page, () => document.querySelector('#confirm-result .plan-done, #confirm-result .plan-error'), null,
		15000, 'the dialog shows the answer');
	const r = await page.evaluate(() => document.getElementById('confirm-result').textContent);
	await page.click('#confirm-cancel');
	if (!/^Done/.test(r))
		throw new Error('the action failed: ' + r.slice(0, 600));
	return r;
}

async function main() {
	if (!fs.existsSync(o.chromium)) {
		process.stdout.write('1..0 # SKIP no chromium at ' + o.chromium + '\n');
		return 0;
	}
	const { chromium } = require('playwright-core');
	process.stdout.write('1..10\n');
	const watchdog = setTimeout(() => {
		process.stdout.write('Bail out! the test took more than 150 s\n');
		process.exit(1);
	}, 150000);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passd-chromium-'));
	const ctx = await chromium.launchPersistentContext(dir, { executablePath: o.chromium, headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], viewport: { width: 1400, height: 1000 } });
	const errors = [];
	try {
		const page = ctx.pages()[0] || (await ctx.newPage());
		page.on('pageerror', (e) => errors.push(e.message));

		await step('the page loads with an operator token and renders the groups', async () => {
			const t0 = Date.now();
			await page.goto(o.url + '#token=' + TOK.operator, { waitUntil: 'domcontentloaded' });
			await until(page, () => window.passdDashboard && window.passdDashboard.renders > 0, null, 15000, 'a first render');
			const s = await page.evaluate(() => ({ ms: window.passdDashboard.lastRenderMs,
				cards: document.querySelectorAll('[data-group]').length }));
			if (s.cards < 10)
				throw new Error(s.cards + ' cards');
			return s.cards + ' cards, first render ' + (Date.now() - t0) + ' ms after load, rendering ' + s.ms + ' ms';
		});

		await step('an operator sees bind and assign, the page knows its role', async () => {
			await until(page, () => document.body.dataset.role === 'operator', null, 5000, 'role operator on <body>');
			const vis = await page.evaluate(() => [...document.querySelectorAll('button.act')]
				.filter((b) => b.offsetParent !== null).map((b) => b.dataset.act));
			if (!vis.includes('bind') || !vis.includes('assign'))
				throw new Error('visible actions: ' + vis.join(' '));
			return vis.length + ' visible action buttons';
		});

		await step('a bind through the API shows within one poll', async () => {
			const r = await api('POST', 'v1/devices/0000:00:16.0/bind');
			if (r.status !== 200)
				throw new Error('bind: ' + r.status + ' ' + JSON.stringify(r.body));
			const t = await until(page, ([a]) => {
				const r = document.querySelector('tr[data-address="' + a + '"] td.driver');
				return r && r.textContent === 'vfio-pci';
			}, ['0000:00:16.0'], POLL_MS + 1500, 'the row shows vfio-pci');
			return 'shown after ' + t + ' ms';
		});

		await step('a bind from the page: the plan lists the whole group, then it is done', async () => {
			const plan = await openPlan(page, 'bind', '0000:00:14.0');
			const want = (await api('POST', 'v1/devices/0000:00:14.0/bind?dry_run=true')).body.devices.map((d) => d.address).sort();
			if (plan.err || plan.addrs.join(' ') !== want.join(' '))
				throw new Error('plan shows [' + plan.addrs + '] want [' + want + '] ' + (plan.err || ''));
			if (!/would lose/.test(plan.text))
				throw new Error('no "host would lose" line: ' + plan.text);
			await confirm(page);
			const d = (await api('GET', 'v1/devices/0000:00:14.0')).body;
			if (d.driver !== 'vfio-pci')
				throw new Error('driver is ' + d.driver);
			await until(page, ([a]) => {
				const r = document.querySelector('tr[data-address="' + a + '"] td.driver');
				return r && r.textContent === 'vfio-pci';
			}, ['0000:00:14.0'], POLL_MS + 1500, 'the row shows vfio-pci');
			return 'plan of ' + plan.addrs.length + ' devices';
		});

		await step('an assignment from the page: gpu-vm, both functions of the GPU', async () => {
			await until(page, () => document.getElementById('domains-note').textContent.includes('gpu-vm'), null,
				5000, 'the domains are known');
			const plan = await openPlan(page, 'assign', '0000:01:00.0');
			if (plan.err || plan.addrs.join(' ') !== '0000:01:00.0 0000:01:00.1')
				throw new Error('plan shows [' + plan.addrs + '] ' + (plan.err || ''));
			const sel = await page.inputValue('#confirm-domain');
			if (sel !== 'gpu-vm')
				throw new Error('domain selected: ' + sel);
			await confirm(page);
			const a = (await api('GET', 'v1/assignments?state=active')).body.assignments;
			if (a.length !== 1 || a[0].domain !== 'gpu-vm' || a[0].device !== '0000:01:00.0')
				throw new Error('assignments: ' + JSON.stringify(a));
			await until(page, () => {
				const r = document.querySelector('#assign-rows tr[data-assignment]');
				return r && r.textContent.includes('gpu-vm') && r.textContent.includes('shutoff');
			}, null, POLL_MS + 2000, 'the assignments panel shows it with the domain state');
			await until(page, () => {
				const r = document.querySelector('tr[data-address="0000:01:00.1"] .state');
				return r && r.textContent === 'assigned';
			}, null, POLL_MS + 2000, 'the companion row says assigned');
			return 'assignment ' + a[0].id;
		});

		await step('a release from the page', async () => {
			await page.click('#assign-rows button[data-act="release"]');
			await until(page, () => document.querySelector('#confirm-plan .plan') && !document.getElementById('confirm-ok').disabled,
				null, 5000, 'the release dialog');
			await confirm(page);
			const a = (await api('GET', 'v1/assignments?state=active')).body.assignments;
			if (a.length !== 0)
				throw new Error('still active: ' + JSON.stringify(a));
		});

		await step('a state of the summary filters the groups by it', async () => {
			await page.click('#s-states li[data-state="vfio"]');
			await until(page, () => document.getElementById('filter').value === 'state:vfio' &&
				/^showing/.test(document.getElementById('shown').textContent), null, 3000, 'the filter is set');
			const r = await page.evaluate(() => [...document.querySelectorAll('[data-group]')].filter((c) => !c.hidden)
				.map((c) => [...c.querySelectorAll('tr[data-address] .state')].some((s) => s.textContent === 'vfio')));
			await page.click('#s-states li[data-state="vfio"]');
			if (!r.length || r.includes(false))
				throw new Error('shown cards with a vfio device: ' + JSON.stringify(r));
			return r.length + ' groups';
		});

		if (o.screenshot)
			await page.screenshot({ path: o.screenshot, fullPage: false });

		await step('a reader sees no action', async () => {
			const p2 = await ctx.newPage();
			await p2.goto(o.url + '#token=' + TOK.reader, { waitUntil: 'domcontentloaded' });
			await until(p2, () => document.body.dataset.role === 'reader' && window.passdDashboard.renders > 0, null,
				10000, 'role reader');
			const vis = await p2.evaluate(() => [...document.querySelectorAll('button.act')]
				.filter((b) => b.offsetParent !== null).length);
			await p2.close();
			if (vis)
				throw new Error(vis + ' visible action buttons');
		});

		await step('passd stopped: the unreachable banner shows', async () => {
			if (!(await control('stop')))
				throw new Error('could not stop passd');
			const t = await until(page, () => !document.getElementById('unreachable').hidden, null, POLL_MS + 3000, 'the banner');
			return 'after ' + t + ' ms';
		});

		await step('passd back: the banner goes by itself', async () => {
			if (!(await control('start')))
				throw new Error('could not start passd');
			const t = await until(page, () => document.getElementById('unreachable').hidden, null, POLL_MS + 3000, 'no banner');
			return 'after ' + t + ' ms';
		});
		if (errors.length)
			diag('page errors: ' + errors.join('; '));
	} finally {
		clearTimeout(watchdog);
		await ctx.close().catch(() => {});
		fs.rmSync(dir, { recursive: true, force: true });
	}
	return failed || errors.length ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
	process.stdout.write('Bail out! ' + e.message + '\n');
	process.exit(1);
});
