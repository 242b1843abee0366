/*
 * actions.js - the dashboard's actions and its slower panels, beside app.js.
 *
 * Actions: bind, unbind, assign to a domain, release, clear quarantine. Each opens a dialog that
 * first asks passd for the dry-run plan (?dry_run=true; a release has none, so its assignment
 * is shown) and lists every device that would move with its drivers before and after, what the
 * host would lose, why the group is shared and the warnings; "Confirm" then does it and shows
 * the answer, or the JSON error. The buttons are always built, and CSS shows them by the
 * caller's role, which app.js puts on <body data-role> from GET /v1/health's `caller`: a reader
 * sees none, an operator bind/unbind/assign/release, an admin also clear and force.
 *
 * Panels: assignments (with their domain's state) and recent history, fetched after each poll
 * of app.js with their own ETags. A failure there (503 without libvirt) only greys the panel:
 * the main poll alone says whether passd is reachable.
 *
 * Server strings reach the page through textContent only, as in app.js.
 */
'use strict';

(function () {
	const etags = {};
	const data = {};
	const $ = (id) => document.getElementById(id);
	let inFlight = false;

	function el(tag, attrs, ...children) {
		const e = document.createElement(tag);
		for (const k of Object.keys(attrs || {})) {
			const v = attrs[k];
			if (v === null || v === undefined || v === false)
				continue;
			if (k === 'class')
				e.className = v;
			else if (k.startsWith('on'))
				e.addEventListener(k.slice(2), v);
			else
				e.setAttribute(k, v === true ? '' : String(v));
		}
		for (const c of children)
			if (c !== null && c !== undefined && c !== false)
				e.append(c instanceof Node ? c : String(c));
		return e;
	}

	function token() {
		try {
			return sessionStorage.getItem('passd.token');
		} catch (ignored) {
			return null;
		}
	}

	/* One request; resolves to { status, body } (body null on 304 or no JSON). */
	async function call(method, path, body, extra) {
		const headers = Object.assign({ Accept: 'application/json' }, extra || {});
		const t = token();
		if (t)
			headers.Authorization = 'Bearer ' + t;
		const init = { method, headers, cache: 'no-store' };
		if (body !== undefined) {
			headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
		const r = await fetch(path, init);
		let json = null;
		if (r.status !== 304)
			json = await r.json().catch(() => null);
		return { status: r.status, body: json, etag: r.headers.get('ETag') };
	}

	/* ---- panels ---- */

	async function getPanel(name, path) {
		const extra = etags[name] ? { 'If-None-Match': etags[name] } : {};
		try {
			const r = await call('GET', path, undefined, extra);
			if (r.status === 304)
				return false;
			if (r.status !== 200) {
				data[name] = { error: r.body && r.body.error ? r.body.error.message : 'HTTP ' + r.status };
				delete etags[name];
				return true;
			}
			data[name] = r.body;
			if (r.etag)
				etags[name] = r.etag;
			return true;
		} catch (e) {
			return false; /* the daemon away: app.js says so */
		}
	}

	async function pollPanels() {
		if (inFlight)
			return;
		inFlight = true;
		try {
			const ch = await Promise.all([getPanel('assignments', 'v1/assignments'),
				getPanel('domains', 'v1/domains'), getPanel('history', 'v1/history?limit=20')]);
			if (ch[0] || ch[1])
				renderAssignments();
			if (ch[2])
				renderHistory();
		} finally {
			inFlight = false;
		}
	}

	const ACTIVE = new Set(['active', 'detached', 'orphaned', 'failed']);

	function renderAssignments() {
		const a = data.assignments || {};
		const doms = (data.domains && data.domains.domains) || [];
		const state = new Map(doms.map((d) => [d.name, d.state]));
		const list = (a.assignments || []).filter((x) => ACTIVE.has(x.state));
		const tb = $('assign-rows');
		const rows = list.map((x) => el('tr', { 'data-assignment': x.id },
			el('td', null, String(x.id)),
			el('td', { class: 'mono' }, (x.devices || [x.device]).join(' ')),
			el('td', null, x.domain),
			el('td', null, el('span', { class: 'dstate dstate-' + (state.get(x.domain) || 'unknown') },
				state.get(x.domain) || (data.domains && data.domains.error ? '?' : 'gone'))),
			el('td', { title: x.reason || null, class: x.reason ? 'why' : null }, x.state),
			// A failed release is over (nothing holds the devices): unbind gives them back.
			el('td', null, x.state === 'failed'
				? el('span', { class: 'why', title: 'unbind the group to give it back to the host' }, 'ended')
				: el('button', { type: 'button', class: 'act act-op', 'data-act': 'release',
					onclick: () => openRelease(x) }, 'Release'))));
		tb.replaceChildren(...rows);
		$('assign-empty').hidden = rows.length > 0;
		$('assign-empty').textContent = a.error ? 'Assignments: ' + a.error : 'No device is assigned to a domain.';
		$('domains-note').textContent = data.domains && data.domains.error
			? 'libvirt: ' + data.domains.error
			: doms.length + ' domain' + (doms.length === 1 ? '' : 's') + ': ' +
			  doms.map((d) => d.name + ' (' + d.state + ')').join(', ');
	}

	function renderHistory() {
		const h = (data.history && data.history.history) || [];
		const rows = h.map((e) => el('tr', { 'data-history': e.id },
			el('td', { class: 'mono', title: e.at || '' }, (e.at || '').slice(11, 19)),
			el('td', null, e.action),
			el('td', { class: 'mono' }, e.target || ''),
			el('td', null, e.domain || ''),
			el('td', { class: 'result-' + e.result + (e.error ? ' why' : ''),
				title: e.error ? String(e.error.message || e.error) : null }, e.result),
			el('td', null, e.actor || '')));
		$('history-rows').replaceChildren(...rows);
		$('history-empty').hidden = rows.length > 0;
	}

	/* ---- the confirmation dialog ---- */

	let dlg = null;

	function dialog() {
		if (dlg)
			return dlg;
		dlg = el('dialog', { id: 'confirm', class: 'confirm', 'aria-labelledby': 'confirm-h' },
			el('h2', { id: 'confirm-h' }),
			el('div', { id: 'confirm-form' }),
			el('div', { id: 'confirm-plan', 'aria-live': 'polite' }),
			el('div', { id: 'confirm-result', 'aria-live': 'polite' }),
			el('p', { class: 'buttons' },
				el('button', { type: 'button', id: 'confirm-cancel', onclick: () => dlg.close() }, 'Close'),
				el('button', { type: 'button', id: 'confirm-ok', class: 'primary' }, 'Confirm')));
		document.body.append(dlg);
		return dlg;
	}

	function errorBlock(r) {
		return el('div', { class: 'plan-error' },
			el('p', null, el('strong', null, 'passd answered ' + r.status +
				(r.body && r.body.error ? ' ' + r.body.error.code + ': ' + r.body.error.message : ''))),
			el('pre', { class: 'json' }, JSON.stringify(r.body, null, 2)));
	}

	/* The plan of a bind, unbind or assignment: every device, drivers before and after. */
	function planBlock(p) {
		const devs = p.devices && p.devices.length && typeof p.devices[0] === 'object' ? p.devices : p.bind || [];
		const tb = devs.map((d) => el('tr', { 'data-plan-address': d.address },
			el('td', { class: 'mono' }, d.address),
			el('td', null, d.action || 'move'),
			el('td', null, d.driver_before || '—'),
			el('td', null, d.driver_after || '—'),
			el('td', null, d.host_critical ? 'host-critical: ' + (d.host_critical.reason || d.host_critical) : ''),
			el('td', null, (d.warnings || []).join('; '))));
		const lose = p.host_would_lose || [];
		const warn = p.warnings || [];
		return el('div', { class: 'plan' },
			p.group !== undefined ? el('p', null, 'IOMMU group ' + p.group + ': every device below moves together.') : null,
			el('table', { class: 'devs plan-devs' },
				el('thead', null, el('tr', null, ...['Address', 'Action', 'Driver before', 'Driver after', 'Host', 'Warnings'].map((h) => el('th', null, h)))),
				el('tbody', null, ...tb)),
			el('p', { class: lose.length ? 'bad plan-lose' : 'plan-lose' }, 'The host would lose: ' +
				(lose.length ? lose.map((x) => typeof x === 'string' ? x : (x.address || '') + ' ' + (x.reason || '')).join('; ') : 'nothing it needs')),
			p.group_shared_because ? el('p', { class: 'plan-shared' }, 'Shared group: ' + p.group_shared_because) : null,
			warn.length ? el('ul', { class: 'plan-warnings' }, ...warn.map((w) => el('li', null, String(w)))) : null);
	}

	function resultBlock(r) {
		if (r.status >= 400 || (r.body && r.body.error))
			return errorBlock(r);
		const b = r.body || {};
		return el('div', { class: 'plan-done' },
			el('p', null, el('strong', null, 'Done: ' + (b.result || b.state || r.status))),
			el('pre', { class: 'json' }, JSON.stringify(b, null, 2)));
	}

	/*
	 * open(title, formEl, planFn, doFn): planFn() resolves to the dry-run answer, whose `view`
	 * (when set) is shown instead of the plan's table; doFn() does it. Confirm is enabled only once a plan was answered 200.
	 */
	function open(title, form, planFn, doFn) {
		const d = dialog();
		$('confirm-h').textContent = title;
		$('confirm-form').replaceChildren(...(form ? [form] : []));
		$('confirm-result').replaceChildren();
		const ok = $('confirm-ok');
		ok.hidden = false;
		ok.disabled = true;
		ok.onclick = async () => {
			ok.disabled = true;
			$('confirm-result').replaceChildren(el('p', null, 'Working…'));
			let r;
			try {
				r = await doFn();
			} catch (e) {
				r = { status: 0, body: { error: { code: 'network', message: e.message } } };
			}
			$('confirm-result').replaceChildren(resultBlock(r));
			ok.hidden = true;
			if (window.passdRefresh)
				window.passdRefresh();
			pollPanels();
		};
		const loadPlan = async () => {
			ok.disabled = true;
			$('confirm-plan').replaceChildren(el('p', null, 'Asking passd for the plan…'));
			try {
				const r = await planFn();
				$('confirm-plan').replaceChildren(r.status === 200 ? r.view || planBlock(r.body) : errorBlock(r));
				ok.disabled = r.status !== 200;
			} catch (e) {
				$('confirm-plan').replaceChildren(el('p', { class: 'bad' }, e.message));
			}
		};
		d.reload = loadPlan;
		if (!d.open)
			d.showModal();
		loadPlan();
	}

	function isAdmin() {
		return document.body.dataset.role === 'admin';
	}

	function forceBox() {
		return isAdmin() ? el('label', { class: 'force' }, el('input', { type: 'checkbox', id: 'confirm-force',
			onchange: () => dlg.reload() }), ' force (take a group the host needs; admin)') : null;
	}

	function forced() {
		const f = $('confirm-force');
		return f && f.checked ? { force: true } : undefined;
	}

	function enc(a) {
		return encodeURIComponent(a);
	}

	function openMove(op, addr) {
		const form = op === 'bind' ? forceBox() : null;
		const path = 'v1/devices/' + enc(addr) + '/' + op;
		open((op === 'bind' ? 'Bind ' : 'Unbind ') + addr + "'s IOMMU group " +
			(op === 'bind' ? 'to vfio-pci' : 'back to its host drivers'), form,
			() => call('POST', path + '?dry_run=true', forced()),
			() => call('POST', path, forced()));
	}

	function openAssign(addr) {
		const doms = (data.domains && data.domains.domains) || [];
		const sel = el('select', { id: 'confirm-domain', onchange: () => dlg.reload() },
			...doms.map((d) => el('option', { value: d.name }, d.name + ' (' + d.state + ')')));
		const start = el('input', { type: 'checkbox', id: 'confirm-start', onchange: () => dlg.reload() });
		const form = el('div', { class: 'assign-form' },
			doms.length ? el('label', null, 'Domain ', sel) : el('p', { class: 'bad' },
				data.domains && data.domains.error ? 'libvirt: ' + data.domains.error : 'libvirt has no domain'),
			el('label', null, start, ' start it'), forceBox());
		const body = () => Object.assign({ device: addr, domain: sel.value, start: start.checked }, forced() || {});
		/* The assignment's plan, with the bind plan of its group for what the host loses,
		 * why the group is shared and the warnings, which only the bind plan says. */
		const plan = async () => {
			if (!doms.length)
				return { status: 0, body: { error: { code: 'no_domain', message: 'no domain to assign to' } } };
			const [a, b] = await Promise.all([call('POST', 'v1/assignments?dry_run=true', body()),
				call('POST', 'v1/devices/' + enc(addr) + '/bind?dry_run=true', forced())]);
			if (a.status === 200 && b.status === 200)
				a.view = el('div', null, planBlock(b.body), el('p', null, 'Then ' +
					(a.body.devices || []).join(', ') + (sel.value ? ' go to ' + sel.value : '') +
					(start.checked ? ', which is started.' : '.')));
			return a;
		};
		open('Assign ' + addr + ' and its group to a domain', form, plan,
			() => call('POST', 'v1/assignments', body(),
				{ 'Idempotency-Key': 'dash-' + Date.now() + '-' + Math.random().toString(36).slice(2) }));
	}

	function openRelease(x) {
		open('Release assignment ' + x.id + ' from ' + x.domain, null,
			/* no dry run for a release: what it holds, and where the drivers go back */
			async () => ({ status: 200, view: el('div', null, el('p', null, 'The devices are detached from ' +
				x.domain + ', reset, and given back to their host drivers (a hung unbind quarantines them).'),
			planBlock({ group: x.group, bind: (x.bind || []).map((b) => ({ address: b.address, action: 'return',
				driver_before: b.driver_after, driver_after: b.driver_before })) })) }),
			() => call('DELETE', 'v1/assignments/' + enc(x.id)));
	}

	function openClear(addr) {
		const path = 'v1/devices/' + enc(addr) + '/clear';
		open('Clear the quarantine of ' + addr, null,
			async () => {
				const r = await call('POST', path + '?dry_run=true');
				if (r.status === 200)
					r.view = el('p', null, 'Quarantined because: ' + (r.body.reason || '?') +
						'. The device stays on its driver; it can be assigned again.');
				return r;
			},
			() => call('POST', path));
	}

	/* The buttons of one device row, by its state; app.js calls this as it builds the row. */
	function rowActions(d) {
		const b = (act, cls, label, fn) => el('button', { type: 'button', class: 'act ' + cls, 'data-act': act,
			'data-address': d.address, onclick: fn }, label);
		/* bridges and host bridges stay where they are: the kernel allows them in a VFIO group */
		if (/^0x060[04]/.test(d.class || ''))
			return null;
		const s = el('span', { class: 'acts' });
		/* a group the host needs moves only with force, which is admin's */
		const op = d.host_critical && d.host_critical.critical ? 'act-admin' : 'act-op';
		if (d.state === 'host' || d.state === 'unbound')
			s.append(b('bind', op, 'Bind', () => openMove('bind', d.address)));
		if (d.state === 'vfio')
			s.append(b('unbind', 'act-op', 'Unbind', () => openMove('unbind', d.address)));
		if (d.state === 'host' || d.state === 'unbound' || d.state === 'vfio')
			s.append(b('assign', op, 'Assign…', () => openAssign(d.address)));
		if (d.state === 'assigned' && d.assignment && d.assignment.id !== undefined)
			s.append(b('release', 'act-op', 'Release', () => {
				const x = ((data.assignments && data.assignments.assignments) || []).find((a) => a.id === d.assignment.id);
				openRelease(x || { id: d.assignment.id, domain: d.assignment.domain, bind: [] });
			}));
		if (d.state === 'quarantined')
			s.append(b('clear', 'act-admin', 'Clear quarantine', () => openClear(d.address)));
		return s.childElementCount ? s : null;
	}

	window.passdActions = { rowActions, pollPanels };
})();
