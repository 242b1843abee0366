/*
 * app.js - the passd dashboard: a read-only view of GET /v1/health, /v1/groups and /v1/devices.
 *
 * Every 2 s the three resources are fetched with the ETag of the last answer in If-None-Match;
 * a 304 changes nothing on the page. fetch() runs with cache "no-store" so that the browser's
 * own cache never answers for the daemon and every 304 reaches this code. A poll is all or
 * nothing: if one request fails, none of its answers (nor their ETags) is kept, so the three
 * views never disagree. A failed or timed-out poll shows the "unreachable" banner, which goes
 * away at the next poll the daemon answers.
 *
 * The host preflight (GET /v1/host) is fetched on its own every 30 s, also with its ETag: it
 * changes rarely, and a failure there (an older daemon answers 501) never marks the daemon
 * unreachable; it only leaves the readiness banner as it was.
 *
 * Every request sends the bearer token the page was given (docs/security.md): from a link's
 * fragment (#token=..., removed from the address bar at once, never sent to a server) or the
 * login form, kept in sessionStorage for this tab only. A 401 shows the form.
 *
 * Rendering touches only the group cards whose content changed (each card keeps a signature
 * of what it shows), so thousands of groups cost nothing while nothing changes. Server strings
 * only ever reach the page through textContent, attributes or title, never innerHTML.
 */
'use strict';

(function () {
	const POLL_MS = 2000;
	const HOST_MS = 30000; /* the preflight: firmware, kernel and modules change rarely */
	const TIMEOUT_MS = 1500; /* until the response headers */
	const BODY_TIMEOUT_MS = 15000; /* for a large body through a slow tunnel */
	const RESOURCES = ['health', 'groups', 'devices'];
	const STATES = ['host', 'vfio', 'assigned', 'unbound', 'quarantined', 'gone'];

	const etags = {}; /* resource -> ETag of the answer in data */
	const data = {}; /* resource -> parsed body of the last 200 */
	const cards = new Map(); /* group key -> { sig, el, text } */
	let lastOk = null; /* Date of the last poll the daemon answered */
	let failing = false;
	let timer = null;
	let hostTimer = null;
	let inFlight = false;
	let filterTerms = [];
	const TOKEN_KEY = 'passd.token';
	let token = null;

	/* Counters for tests and curious operators (window.passdDashboard in the console). */
	const stats = { polls: 0, renders: 0, groupRenders: 0, notModified: 0, failures: 0, lastRenderMs: 0,
		firstCardsMs: null, longestSliceMs: 0 };
	/* Building thousands of cards at once would freeze the page for seconds: the work is cut
	 * into slices of about this long, with the browser free to paint and take input between
	 * them; on a first render each slice's cards go on screen as soon as they are built. */
	const SLICE_MS = 30;
	const FIRST_SCREEN = 40; /* cards put on screen slice by slice; the rest go in at once */
	/* The longest task of the page (script, style and layout), where the browser reports it. */
	stats.longestTaskMs = null;
	try {
		new PerformanceObserver((list) => {
			for (const e of list.getEntries())
				stats.longestTaskMs = Math.max(stats.longestTaskMs || 0, Math.round(e.duration));
		}).observe({ type: 'longtask', buffered: true });
	} catch (ignored) {
		/* no Long Tasks API here */
	}
	window.passdDashboard = stats;
	/* After an action: poll now rather than in up to 2 s. */
	window.passdRefresh = () => {
		clearTimeout(timer);
		poll();
	};

	const $ = (id) => document.getElementById(id);

	/* Build an element: el('td', {class: 'x', title: t}, child, 'text', ...). */
	function el(tag, attrs, ...children) {
		const e = document.createElement(tag);
		if (attrs) {
			for (const k of Object.keys(attrs)) {
				const v = attrs[k];
				if (v === null || v === undefined || v === false)
					continue;
				if (k === 'class')
					e.className = v;
				else
					e.setAttribute(k, v === true ? '' : String(v));
			}
		}
		for (const c of children) {
			if (c === null || c === undefined || c === false)
				continue;
			e.append(c instanceof Node ? c : String(c));
		}
		return e;
	}

	function hex(id) {
		return typeof id === 'string' ? id.replace(/^0x/i, '') : '?';
	}

	function timeString(d) {
		return d ? d.toLocaleTimeString([], { hour12: false }) : 'never';
	}

	/* ---- fetching ---- */

	class HttpError extends Error {
		constructor(status, message) {
			super(message);
			this.status = status;
		}
	}

	/* One GET; resolves to { name, changed, etag, body } and never touches the shared state. */
	async function get(name) {
		const ctl = new AbortController();
		let t = setTimeout(() => ctl.abort(), TIMEOUT_MS);
		const headers = { Accept: 'application/json' };
		if (token)
			headers.Authorization = 'Bearer ' + token;
		if (etags[name])
			headers['If-None-Match'] = etags[name];
		try {
			const r = await fetch('v1/' + name, { cache: 'no-store', headers, signal: ctl.signal });
			clearTimeout(t);
			t = setTimeout(() => ctl.abort(), BODY_TIMEOUT_MS);
			if (r.status === 304)
				return { name, changed: false };
			/* health answers 503 with its usual body when the database is down: show it */
			if (r.status === 503 && name === 'health') {
				const body = await r.json().catch(() => null);
				if (body && typeof body.status === 'string')
					return { name, changed: true, etag: null, body };
			}
			if (!r.ok) {
				let msg = r.status + ' ' + r.statusText;
				try {
					const e = await r.json();
					if (e && e.error && e.error.message)
						msg = r.status + ': ' + e.error.message;
				} catch (ignored) {
					/* not JSON: keep the status line */
				}
				throw new HttpError(r.status, 'GET /v1/' + name + ': ' + msg);
			}
			const body = await r.json();
			return { name, changed: true, etag: r.headers.get('ETag'), body };
		} finally {
			clearTimeout(t);
		}
	}

	async function poll() {
		if (inFlight)
			return;
		inFlight = true;
		stats.polls++;
		try {
			let results;
			try {
				results = await Promise.all(RESOURCES.map(get));
			} catch (e) {
				stats.failures++;
				showFailure(e);
				return;
			}
			const changed = new Set();
			for (const r of results) {
				if (!r.changed) {
					stats.notModified++;
					continue;
				}
				data[r.name] = r.body;
				if (r.etag)
					etags[r.name] = r.etag;
				else
					delete etags[r.name];
				changed.add(r.name);
			}
			showOk();
			if (window.passdActions)
				window.passdActions.pollPanels();
			if (changed.size) {
				const t0 = performance.now();
				renderSummary();
				if (changed.has('groups') || changed.has('devices')) {
					await renderGroups(t0);
					stats.groupRenders++;
				}
				stats.renders++;
				stats.lastRenderMs = Math.round(performance.now() - t0);
			}
		} catch (e) {
			/* a bug in rendering: say so rather than die silently */
			showApiError('the dashboard could not show the answer: ' + e.message);
			console.error(e);
		} finally {
			inFlight = false;
			schedule();
		}
	}

	function schedule() {
		clearTimeout(timer);
		timer = setTimeout(poll, POLL_MS);
	}

	/* ---- the host preflight ---- */

	async function pollHost() {
		clearTimeout(hostTimer);
		try {
			const r = await get('host');
			if (r.changed) {
				data.host = r.body;
				if (r.etag)
					etags.host = r.etag;
				else
					delete etags.host;
				renderPreflight();
			}
		} catch (ignored) {
			/* a 501 from an older daemon, or the daemon away: the main poll shows that */
		} finally {
			hostTimer = setTimeout(pollHost, HOST_MS);
		}
	}

	/* The readiness banner: every check that is not ok, with its hint; hidden when all are. */
	function renderPreflight() {
		const h = data.host || {};
		const checks = Array.isArray(h.checks) ? h.checks : [];
		const shown = checks.filter((c) => c && (c.status === 'fail' || c.status === 'warn'));
		const sec = $('preflight');
		const worst = h.summary && h.summary.status;
		$('s-preflight').textContent = worst ? worst + (h.summary.total ? ' (' + h.summary.ok + ' of ' + h.summary.total + ' ok)' : '') : '…';
		$('s-preflight').className = worst === 'ok' ? 'ok' : worst === 'fail' ? 'bad' : worst ? 'warn' : '';
		if (!shown.length) {
			sec.hidden = true;
			return;
		}
		const fails = shown.filter((c) => c.status === 'fail').length;
		const plural = (n, w) => n + ' ' + w + (n === 1 ? '' : 's');
		$('preflight-h').textContent = fails ?
			'Host not ready: ' + plural(fails, 'preflight check') + ' failed' :
			'Host ready, with ' + plural(shown.length, 'warning');
		sec.className = 'banner ' + (fails ? 'banner-error' : 'banner-warn');
		const frag = document.createDocumentFragment();
		for (const c of shown) {
			frag.append(el('li', { class: 'pf pf-' + c.status, 'data-check': String(c.id) },
				el('strong', null, c.status + ' ' + c.id), ': ' + (c.detail || ''),
				c.hint ? el('div', { class: 'small' }, 'Fix: ' + c.hint) : null));
		}
		$('preflight-list').replaceChildren(frag);
		sec.hidden = false;
	}

	/* ---- connection state ---- */

	function setConn(cls, text) {
		$('conn').className = 'conn ' + cls;
		$('conn-text').textContent = text;
	}

	function showOk() {
		lastOk = new Date();
		$('login').hidden = true;
		if (failing) {
			failing = false;
			$('main').classList.remove('stale');
		}
		$('unreachable').hidden = true;
		$('apierror').hidden = true;
		setConn('conn-ok', 'live, updated ' + timeString(lastOk));
	}

	function showApiError(text) {
		$('apierror-text').textContent = text;
		$('apierror').hidden = false;
	}

	function showFailure(e) {
		failing = true;
		$('main').classList.add('stale');
		if (e instanceof HttpError && e.status === 401) {
			$('unreachable').hidden = true;
			$('apierror').hidden = true;
			$('login-why').textContent = token ? 'The daemon refused the token.' : '';
			$('login').hidden = false;
			setConn('conn-bad', 'needs a token');
			return;
		}
		if (e instanceof HttpError) {
			/* the daemon is there but refuses: not "unreachable" */
			$('unreachable').hidden = true;
			showApiError(e.message);
			setConn('conn-bad', 'error, last update ' + timeString(lastOk));
			return;
		}
		$('apierror').hidden = true;
		let why;
		if (e && e.name === 'AbortError')
			why = 'It did not answer within ' + TIMEOUT_MS / 1000 + ' s.';
		else if (e instanceof SyntaxError)
			why = 'Its answer was cut short or was not JSON.';
		else
			why = 'The connection failed (daemon stopped, or the SSH tunnel is down).';
		$('unreachable-why').textContent = why;
		const t = $('last-ok');
		if (lastOk) {
			const ago = Math.round((Date.now() - lastOk.getTime()) / 1000);
			t.textContent = timeString(lastOk) + ' (' + ago + ' s ago)';
			t.setAttribute('datetime', lastOk.toISOString());
		} else {
			t.textContent = 'never';
			t.removeAttribute('datetime');
		}
		$('unreachable').hidden = false;
		setConn('conn-bad', 'unreachable since ' + timeString(lastOk));
	}

	/* ---- summary ---- */

	function renderSummary() {
		const h = data.health || {};
		const groups = (data.groups && data.groups.groups) || [];
		const devices = (data.devices && data.devices.devices) || [];
		const iommu = h.iommu || {};

		const on = iommu.enabled === true;
		const iommuEl = $('s-iommu');
		iommuEl.textContent = iommu.enabled === undefined ? 'unknown' : on ? 'enabled' : 'disabled';
		iommuEl.className = on ? 'ok' : 'bad';
		$('noiommu').hidden = iommu.enabled !== false;
		$('noiommu-hint').textContent = iommu.hint ? 'passd says: ' + iommu.hint : '';

		$('s-groups').textContent = groups.length;
		const viable = groups.filter((g) => g.viable).length;
		$('s-viable').textContent = groups.length ? viable + ' ready for VFIO' : '';

		$('s-devices').textContent = devices.length;
		const critical = devices.filter((d) => d.host_critical && d.host_critical.critical).length;
		$('s-critical').textContent = critical ? critical + ' host-critical' : '';

		const counts = new Map(STATES.map((s) => [s, 0]));
		for (const d of devices)
			counts.set(d.state, (counts.get(d.state) || 0) + 1);
		const ul = $('s-states');
		const frag = document.createDocumentFragment();
		for (const [s, n] of counts) {
			frag.append(el('li', { class: 'state state-' + s + (n ? '' : ' zero'), 'data-state': s },
				el('span', { class: 'n' }, n), ' ' + s));
		}
		ul.replaceChildren(frag);

		const lv = h.libvirt || {};
		const lvEl = $('s-libvirt');
		if (lv.enabled === false || !lv.uri || lv.uri === 'none') {
			lvEl.textContent = 'not used';
			lvEl.className = 'muted';
		} else {
			lvEl.textContent = (lv.connected ? 'connected' : 'disconnected') + ' (' + lv.uri + ')';
			lvEl.className = lv.connected ? 'ok' : 'bad';
		}

		$('s-version').textContent = h.version ? 'passd ' + h.version : 'passd';
		const st = $('s-status');
		let status = h.status ? h.status : '';
		if (h.db && h.db.ok === false)
			status += (status ? ', ' : '') + 'database down';
		st.textContent = status ? '(' + status + ')' : '';
		st.className = h.status && h.status !== 'ok' ? 'bad' : '';
		/* which actions to show (CSS); none when the daemon does not say who asks */
		document.body.dataset.role = h.caller && h.caller.role ? h.caller.role : 'unknown';
		$('s-role').textContent = h.caller ? h.caller.identity + ' (' + h.caller.role + ')' : '';
	}

	/* ---- group cards ---- */

	function deviceRow(addr, d) {
		if (!d) {
			/* listed in a group but not (yet) in /v1/devices: a hot-plug race */
			return el('tr', { 'data-address': addr },
				el('td', { class: 'addr' }, addr),
				el('td', { colspan: 5, class: 'muted' }, 'no details yet'));
		}
		const ids = hex(d.vendor_id) + ':' + hex(d.device_id);
		const nameCell = el('td', { class: 'name' });
		if (d.device_name || d.vendor_name) {
			nameCell.append(el('span', { class: 'dev' }, d.device_name || ids));
			nameCell.append(el('span', { class: 'vendor' },
				(d.vendor_name || hex(d.vendor_id)) + ' [' + ids + ']'));
		} else {
			nameCell.append(el('span', { class: 'dev mono' }, ids));
		}
		if (d.physfn)
			nameCell.append(el('span', { class: 'note' }, 'virtual function of ' + d.physfn));
		if (d.sriov && typeof d.sriov.total_vfs === 'number')
			nameCell.append(el('span', { class: 'note' },
				'SR-IOV: ' + (d.sriov.num_vfs || 0) + ' of ' + d.sriov.total_vfs + ' VFs'));

		const addrCell = el('td', { class: 'addr' }, d.address);
		const hc = d.host_critical;
		if (hc && hc.critical) {
			const why = hc.reason || 'the host needs this device';
			addrCell.append(el('span', { class: 'badge badge-crit', title: why },
				'host-critical', el('span', { class: 'visually-hidden' }, ': ' + why)));
		}

		const stateCell = el('td', { class: 'statecell' },
			el('span', { class: 'state state-' + (d.state || 'unknown') }, d.state || '?'));
		if (d.assignment && d.assignment.domain)
			stateCell.append(el('span', { class: 'note' }, 'in ' + d.assignment.domain));
		if (d.state === 'quarantined')
			stateCell.append(el('span', { class: 'badge badge-quar', title: 'refused for new assignments until an admin clears it' }, 'quarantine'));
		/* bind, unbind, assign...: actions.js, shown by the caller's role (CSS) */
		if (window.passdActions)
			stateCell.append(window.passdActions.rowActions(d) || '');
		if (Array.isArray(d.reset_methods))
			nameCell.append(el('span', { class: 'note reset' + (d.reset_methods.length ? '' : ' bad') },
				d.reset_methods.length ? 'reset: ' + d.reset_methods.join(', ') : 'no reset method'));

		const numa = typeof d.numa_node === 'number' && d.numa_node >= 0 ? d.numa_node : '—';
		return el('tr', { 'data-address': d.address, class: hc && hc.critical ? 'crit' : null },
			addrCell,
			nameCell,
			el('td', { class: 'class' }, d.class_name || d.class || '—'),
			el('td', { class: 'driver' + (d.driver ? '' : ' muted') }, d.driver || '—'),
			el('td', { class: 'numa' }, numa),
			stateCell);
	}

	function buildCard(key, g, addrs, devByAddr) {
		const isGroup = g !== null;
		const titleId = 'group-' + key + '-h';
		const card = el('article', { class: 'card', 'data-group': key, 'aria-labelledby': titleId });
		const head = el('header', { class: 'card-head' });
		if (isGroup) {
			head.append(el('h3', { id: titleId }, 'Group ' + g.id));
			/* "viable" is the kernel's word: usable through VFIO right now. A group on host
			 * drivers is the normal state of a host, not an error, so it is not shown in red. */
			head.append(g.viable
				? el('span', { class: 'badge badge-ok', title: 'every endpoint is on vfio-pci or no driver: VFIO can use this group now' }, 'ready for VFIO')
				: el('span', { class: 'badge badge-host', title: 'some members are on host drivers; binding the group moves them to vfio-pci' }, 'on host drivers'));
			card.classList.add(g.viable ? 'viable' : 'not-viable');
		} else {
			head.append(el('h3', { id: titleId }, 'Devices without an IOMMU group'));
			card.classList.add('nogroup');
		}
		head.append(el('span', { class: 'count' }, addrs.length + (addrs.length === 1 ? ' device' : ' devices')));
		card.append(head);

		if (isGroup && !g.viable && Array.isArray(g.blockers) && g.blockers.length) {
			const ul = el('ul', { class: 'blockers', 'aria-label': 'members of group ' + g.id + ' that VFIO cannot use yet' });
			for (const b of g.blockers) {
				ul.append(el('li', null,
					el('span', { class: 'mono' }, b.address || '?'),
					b.driver ? ' (' + b.driver + ')' : null,
					': ' + (b.reason || 'blocks passthrough')));
			}
			card.append(ul);
		}

		const tbody = el('tbody');
		for (const a of addrs)
			tbody.append(deviceRow(a, devByAddr.get(a)));
		card.append(el('table', { class: 'devs' },
			el('thead', null, el('tr', null,
				el('th', { scope: 'col', class: 'c-addr' }, 'Address'),
				el('th', { scope: 'col', class: 'c-dev' }, 'Device'),
				el('th', { scope: 'col', class: 'c-class' }, 'Class'),
				el('th', { scope: 'col', class: 'c-driver' }, 'Driver'),
				el('th', { scope: 'col', class: 'c-numa', title: 'NUMA node' }, 'NUMA'),
				el('th', { scope: 'col', class: 'c-state' }, 'State'))),
			tbody));
		return card;
	}

	/* What a card shows, as a string: equal strings mean the card need not be rebuilt. */
	function signature(g, addrs, devByAddr) {
		return JSON.stringify([g, addrs.map((a) => devByAddr.get(a) || a)]);
	}

	/* Lower-case text the filter matches against. */
	function searchText(g, addrs, devByAddr) {
		const parts = [g ? 'group ' + g.id + (g.viable ? ' viable ready for vfio' : ' not viable on host drivers') : 'no group',
			g ? 'group:' + g.id : 'group:none'];
		for (const a of addrs) {
			const d = devByAddr.get(a);
			parts.push(a);
			if (d) {
				parts.push(d.vendor_name, d.device_name, hex(d.vendor_id) + ':' + hex(d.device_id),
					d.class_name, d.class, d.driver || 'unbound', d.state,
					/* exact keys, for the state buttons of the summary and for typing */
					'state:' + d.state, 'driver:' + (d.driver || 'none'),
					'numa:' + (typeof d.numa_node === 'number' && d.numa_node >= 0 ? d.numa_node : 'none'));
				if (d.host_critical && d.host_critical.critical)
					parts.push('host-critical', d.host_critical.reason);
				if (d.assignment && d.assignment.domain)
					parts.push(d.assignment.domain);
			}
		}
		return parts.filter((p) => p !== null && p !== undefined).join('\n').toLowerCase();
	}

	function byAddress(a, b) {
		return a < b ? -1 : a > b ? 1 : 0;
	}

	async function renderGroups(t0) {
		const groups = ((data.groups && data.groups.groups) || []).slice().sort((a, b) => a.id - b.id);
		const devices = (data.devices && data.devices.devices) || [];
		const devByAddr = new Map(devices.map((d) => [d.address, d]));

		const wanted = []; /* [key, g, addrs] in display order */
		const grouped = new Set();
		for (const g of groups) {
			const addrs = (g.devices || []).slice().sort(byAddress);
			addrs.forEach((a) => grouped.add(a));
			wanted.push([String(g.id), g, addrs]);
		}
		const loose = devices.map((d) => d.address).filter((a) => !grouped.has(a)).sort(byAddress);
		if (loose.length)
			wanted.push(['none', null, loose]);

		const container = $('groups');
		const keep = new Set();
		const els = [];
		const fresh = !container.querySelector('[data-group]');
		let placed = 0;
		let slice = performance.now();
		container.classList.toggle('many', wanted.length > 200);
		for (const [key, g, addrs] of wanted) {
			const sig = signature(g, addrs, devByAddr);
			let c = cards.get(key);
			if (!c || c.sig !== sig) {
				c = { sig, el: buildCard(key, g, addrs, devByAddr), text: searchText(g, addrs, devByAddr) };
				cards.set(key, c);
			}
			keep.add(key);
			els.push(c.el);
			if (performance.now() - slice < SLICE_MS)
				continue;
			if (fresh && placed < FIRST_SCREEN) {
				/* The first cards go on screen as they come. Inserting the others slice by
				 * slice would cost a style and layout of the growing page per frame (twice
				 * the time on the large host): they go in with one append at the end. */
				const ph = $('loading');
				if (ph)
					ph.remove();
				container.append(...els.slice(placed));
				placed = els.length;
				if (filterTerms.length)
					applyFilter();
				if (stats.firstCardsMs === null)
					stats.firstCardsMs = Math.round(performance.now() - t0);
			}
			stats.longestSliceMs = Math.max(stats.longestSliceMs, Math.round(performance.now() - slice));
			await new Promise((r) => setTimeout(r, 0));
			slice = performance.now();
		}
		for (const key of [...cards.keys()])
			if (!keep.has(key))
				cards.delete(key);

		/* Walk the container once; only changed or moved cards touch the DOM. */
		const placeholder = $('loading');
		if (placeholder)
			placeholder.remove();
		const wantedEls = new Set(els);
		let cur = container.firstElementChild;
		for (const e of els) {
			if (cur === e) {
				cur = cur.nextElementSibling;
				continue;
			}
			if (cur && !wantedEls.has(cur)) {
				/* a stale card in this slot: replace it in place */
				const next = cur.nextElementSibling;
				cur.replaceWith(e);
				cur = next;
			} else {
				container.insertBefore(e, cur);
			}
		}
		while (cur) {
			const next = cur.nextElementSibling;
			cur.remove();
			cur = next;
		}
		if (fresh && placed < els.length) {
			const ph = $('loading');
			if (ph)
				ph.remove();
			const frag = document.createDocumentFragment();
			frag.append(...els.slice(placed));
			container.append(frag);
		}
		stats.longestSliceMs = Math.max(stats.longestSliceMs, Math.round(performance.now() - slice));
		if (stats.firstCardsMs === null)
			stats.firstCardsMs = Math.round(performance.now() - t0);
		container.setAttribute('aria-busy', 'false');
		applyFilter();
	}

	/* ---- filter ---- */

	function applyFilter() {
		let shown = 0;
		let total = 0;
		let groupsShown = 0;
		for (const [key, c] of cards) {
			const match = filterTerms.every((t) => c.text.includes(t));
			if (c.el.hidden === match)
				c.el.hidden = !match;
			if (key !== 'none') {
				total++;
				if (match)
					groupsShown++;
			}
			if (match)
				shown++;
		}
		$('nomatch').hidden = !(filterTerms.length && shown === 0 && cards.size);
		$('shown').textContent = filterTerms.length
			? 'showing ' + groupsShown + ' of ' + total + ' groups'
			: total + (total === 1 ? ' group' : ' groups');
	}

	function setFilter(q) {
		filterTerms = q.toLowerCase().split(/\s+/).filter(Boolean);
		applyFilter();
		const url = new URL(location.href);
		if (q)
			url.hash = 'q=' + encodeURIComponent(q);
		else
			url.hash = '';
		history.replaceState(null, '', url.hash ? url : url.pathname + url.search);
	}

	/* A token in the fragment (#token=T, alone or before &q=...) moves to sessionStorage. */
	function takeToken() {
		try {
			token = sessionStorage.getItem(TOKEN_KEY);
		} catch (ignored) {
			token = null; /* storage disabled: the token lives as long as the page */
		}
		const m = /^#token=([^&]*)&?(.*)$/.exec(location.hash);
		if (!m)
			return;
		token = decodeURIComponent(m[1]) || null;
		try {
			if (token)
				sessionStorage.setItem(TOKEN_KEY, token);
		} catch (ignored) {
			/* kept in memory only */
		}
		const url = new URL(location.href);
		url.hash = m[2];
		history.replaceState(null, '', url.hash ? url : url.pathname + url.search);
	}

	function init() {
		takeToken();
		$('login').addEventListener('submit', (ev) => {
			ev.preventDefault();
			token = $('login-token').value.trim() || null;
			$('login-token').value = '';
			try {
				if (token)
					sessionStorage.setItem(TOKEN_KEY, token);
			} catch (ignored) {
				/* kept in memory only */
			}
			$('login').hidden = true;
			clearTimeout(timer);
			poll();
			pollHost();
		});
		const input = $('filter');
		/* a state in the summary filters the groups to the devices in it */
		$('s-states').addEventListener('click', (ev) => {
			const li = ev.target.closest('li[data-state]');
			if (!li)
				return;
			const q = 'state:' + li.dataset.state;
			input.value = input.value.trim() === q ? '' : q;
			setFilter(input.value);
		});
		const m = /^#q=(.*)$/.exec(location.hash);
		if (m) {
			input.value = decodeURIComponent(m[1]);
			filterTerms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
		}
		let debounce = null;
		input.addEventListener('input', () => {
			clearTimeout(debounce);
			debounce = setTimeout(() => setFilter(input.value.trim()), 120);
		});
		document.addEventListener('keydown', (ev) => {
			if (ev.key === '/' && document.activeElement !== input) {
				ev.preventDefault();
				input.focus();
			} else if (ev.key === 'Escape' && document.activeElement === input) {
				input.value = '';
				setFilter('');
			}
		});
		/* Come back at once after the tab was hidden, instead of waiting for a throttled timer. */
		document.addEventListener('visibilitychange', () => {
			if (!document.hidden) {
				clearTimeout(timer);
				poll();
			}
		});
		poll();
		pollHost();
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', init);
	else
		init();
})();
