#!/usr/bin/env node
/*
 * screenshot.js - a PNG of the dashboard, for docs/ (tests/web/docs-screenshots.sh runs it).
 *
 * usage: node screenshot.js URL OUT.png [--height PX] [--dialog ADDR]
 *   URL may carry #token=...; --dialog opens ADDR's bind dialog and waits for its plan.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
	const [url, out, ...rest] = process.argv.slice(2);
	let height = 1100;
	let dialog = null;
	for (let i = 0; i < rest.length; i++) {
		if (rest[i] === '--height')
			height = Number(rest[++i]);
		else if (rest[i] === '--dialog')
			dialog = rest[++i];
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passd-shot-'));
	const ctx = await chromium.launchPersistentContext(dir, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'], viewport: { width: 1400, height } });
	try {
		const page = ctx.pages()[0] || (await ctx.newPage());
		await page.emulateMedia({ colorScheme: 'light' });
		await page.goto(url, { waitUntil: 'domcontentloaded' });
		await page.waitForFunction(() => window.passdDashboard && window.passdDashboard.renders > 0 &&
			document.getElementById('history-rows').childElementCount > 0, null, { timeout: 15000 });
		await page.waitForTimeout(2500); /* the preflight and the panels */
		if (dialog) {
			await page.click('tr[data-address="' + dialog + '"] button[data-act="bind"]');
			await page.waitForSelector('#confirm-plan .plan', { timeout: 10000 });
			await page.evaluate(() => window.scrollTo(0, 0));
		}
		await page.screenshot({ path: out });
	} finally {
		await ctx.close();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

main().catch((e) => {
	process.stderr.write(e.stack + '\n');
	process.exit(1);
});
