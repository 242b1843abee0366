#!/usr/bin/env node
/*
 * openapi-check.js - check passd's answers against schema/openapi.yaml (tests/integration/t8300).
 *
 *   node openapi-check.js SPEC routes
 *       print the spec's routes as `passd --list-routes` does: "METHOD PATTERN ROLE", a path
 *       parameter written "*", the role from x-passd-role.
 *   node openapi-check.js SPEC validate CASES
 *       CASES has one answer a line: "METHOD PATTERN STATUS CONTENT-TYPE BODYFILE". Each answer
 *       must be one the spec lists for the operation (its status, or "default"), with that
 *       content type, and a JSON body must validate against the schema (ajv, OpenAPI 3.0's
 *       nullable). Prints TAP, one test per answer; exits 1 when one fails.
 */
'use strict';

const fs = require('fs');
const yaml = require('js-yaml');
const Ajv = require('ajv');

const [specFile, mode, arg] = process.argv.slice(2);
const spec = yaml.load(fs.readFileSync(specFile, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const pattern = (p) => p.replace(/\{[^}]+\}/g, '*');
const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

if (mode === 'routes') {
	for (const [p, item] of Object.entries(spec.paths))
		for (const m of METHODS)
			if (item[m])
				process.stdout.write(m.toUpperCase() + ' ' + pattern(p) + ' ' + (item[m]['x-passd-role'] || 'unset') + '\n');
	process.exit(0);
}
if (mode !== 'validate')
	throw new Error('usage: openapi-check.js SPEC routes|validate CASES');

const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
ajv.addSchema(spec, 'spec');

/* Follow a local $ref: the object and its JSON pointer. */
function deref(obj, ptr) {
	while (obj && obj.$ref) {
		ptr = obj.$ref;
		obj = ptr.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
	}
	return [obj, ptr];
}

const byPattern = new Map();
for (const p of Object.keys(spec.paths))
	byPattern.set(pattern(p), p);

let n = 0;
let bad = 0;
const lines = fs.readFileSync(arg, 'utf8').split('\n').filter((l) => l.trim());
process.stdout.write('1..' + lines.length + '\n');
for (const line of lines) {
	const [method, pat, status, ctypeRaw, file] = line.split(/\s+/);
	const ctype = (ctypeRaw || '').split(';')[0];
	const name = method + ' ' + pat + ' ' + status + ' (' + ctype + ')';
	const errs = [];
	const p = byPattern.get(pat);
	const op = p && spec.paths[p][method.toLowerCase()];
	if (!op) {
		errs.push('no such operation in the spec');
	} else {
		const base = '#/paths/' + esc(p) + '/' + method.toLowerCase() + '/responses/';
		let key = op.responses[status] ? status : 'default';
		const [resp, ptr] = deref(op.responses[key], base + esc(key));
		if (!resp) {
			errs.push('status ' + status + ' is not a response of the operation, and it has no default');
		} else if (status === '304' || !resp.content) {
			if (fs.existsSync(file) && fs.statSync(file).size > 0)
				errs.push('the spec says no body, passd sent ' + fs.statSync(file).size + ' bytes');
		} else if (!resp.content[ctype]) {
			errs.push('content type ' + ctype + ' not in the spec: ' + Object.keys(resp.content).join(', '));
		} else if (ctype === 'application/json') {
			let body;
			try {
				body = JSON.parse(fs.readFileSync(file, 'utf8'));
			} catch (e) {
				errs.push('not JSON: ' + e.message);
			}
			if (body !== undefined) {
				const v = ajv.getSchema('spec' + ptr + '/content/' + esc(ctype) + '/schema');
				if (!v(body))
					for (const e of v.errors.slice(0, 8))
						errs.push((e.instancePath || '/') + ' ' + e.message + ' ' + JSON.stringify(e.params));
			}
		}
	}
	n++;
	if (errs.length)
		bad++;
	process.stdout.write((errs.length ? 'not ok ' : 'ok ') + n + ' - ' + name + '\n' +
		errs.map((e) => '# ' + e + '\n').join(''));
}
process.exit(bad ? 1 : 0);
