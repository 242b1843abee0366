# prom-lint.awk - a strict checker of the Prometheus text format 0.0.4, for t8200 (promtool
# is in Debian's prometheus package: 96 MB with a server, too much for one check).
#
#   awk -f prom-lint.awk metrics.txt   # prints each problem, exits 1 if any
#
# Checks: line syntax (names, labels with escapes, values); HELP and TYPE at most once per
# family and TYPE before its samples; a family's samples together; no series twice;
# counters named *_total; histograms with _bucket (le, cumulative, +Inf equal to _count),
# _sum and _count for every label set.

function fail(msg) { printf "line %d: %s: %s\n", NR, msg, $0; bad = 1 }

function family_of(name,    base) {
	if (name in type) return name
	base = name
	if (sub(/_bucket$/, "", base) || sub(/_sum$/, "", base) || sub(/_count$/, "", base))
		if (base in type && (type[base] == "histogram" || type[base] == "summary")) return base
	return name
}

# parse_labels(s): "a=\"x\",b=\"y\"" -> canonical string without le in nole, le in le_val
function parse_labels(s,    rest, n, lname, val, c, seen, out) {
	nole = ""; le_val = ""; rest = s; split("", seen)
	while (rest != "") {
		if (!match(rest, /^[a-zA-Z_][a-zA-Z0-9_]*="/)) { fail("bad label"); return 0 }
		lname = substr(rest, 1, RLENGTH - 2)
		rest = substr(rest, RLENGTH + 1)
		val = ""
		while (1) {
			if (rest == "") { fail("unterminated label value"); return 0 }
			c = substr(rest, 1, 1)
			if (c == "\\") {
				c = substr(rest, 2, 1)
				if (c != "\\" && c != "\"" && c != "n") { fail("bad escape in label value"); return 0 }
				val = val "\\" c; rest = substr(rest, 3); continue
			}
			if (c == "\"") { rest = substr(rest, 2); break }
			val = val c; rest = substr(rest, 2)
		}
		if (lname in seen) { fail("label " lname " twice"); return 0 }
		seen[lname] = 1
		if (lname == "le") le_val = val
		else nole = nole lname "=" val ","
		if (rest == "") break
		if (substr(rest, 1, 1) != ",") { fail("expected , between labels"); return 0 }
		rest = substr(rest, 2)
	}
	return 1
}

function is_value(v) {
	return v ~ /^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/ || v ~ /^[-+]?Inf$/ || v == "NaN"
}

BEGIN { bad = 0; current = "" }

/^# HELP / {
	if (!match($3, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/)) fail("bad metric name in HELP")
	if ($3 in help) fail("HELP twice for " $3)
	help[$3] = 1
	next
}
/^# TYPE / {
	if (NF != 4) fail("TYPE takes a name and a type")
	if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) fail("unknown type " $4)
	if ($3 in type) fail("TYPE twice for " $3)
	if ($3 in done) fail("TYPE after samples of " $3)
	type[$3] = $4
	if ($4 == "counter" && $3 !~ /_total$/) fail("counter " $3 " is not named *_total")
	next
}
/^#/ { next }
/^$/ { fail("empty line"); next }

{
	line = $0
	if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { fail("bad metric name"); next }
	name = substr(line, 1, RLENGTH)
	line = substr(line, RLENGTH + 1)
	labels = ""
	if (substr(line, 1, 1) == "{") {
		if (!match(line, /^\{([^"}]|"([^"\\]|\\.)*")*\}/)) { fail("unterminated labels"); next }
		labels = substr(line, 2, RLENGTH - 2)
		line = substr(line, RLENGTH + 1)
	}
	if (!parse_labels(labels)) next
	if (substr(line, 1, 1) != " ") { fail("expected a space before the value"); next }
	n = split(substr(line, 2), parts, " ")
	if (n < 1 || n > 2 || !is_value(parts[1])) { fail("bad value"); next }
	if (n == 2 && parts[2] !~ /^-?[0-9]+$/) { fail("bad timestamp"); next }

	fam = family_of(name)
	if (!(fam in type)) fail("no TYPE for " fam)
	if (fam != current) {
		if (fam in done) fail("samples of " fam " are not together")
		if (current != "") done[current] = 1
		current = fam
	}
	key = name "{" nole "le=" le_val "}"
	if (key in series) fail("series twice")
	series[key] = 1

	if (type[fam] == "histogram") {
		set = fam "{" nole "}"
		sets[set] = 1
		if (name == fam "_bucket") {
			if (le_val == "") fail("bucket without le")
			else if (!is_value(le_val)) fail("bad le")
			if ((set in last) && parts[1] + 0 < last[set] + 0) fail("buckets not cumulative")
			if ((set in lastle) && le_val != "+Inf" && le_val + 0 <= lastle[set] + 0) fail("le not increasing")
			last[set] = parts[1]; lastle[set] = le_val
			if (le_val == "+Inf") inf[set] = parts[1]
		} else if (name == fam "_sum") {
			sum[set] = 1
		} else if (name == fam "_count") {
			cnt[set] = parts[1]
		} else {
			fail("histogram sample " name " is not _bucket, _sum or _count")
		}
	} else if (type[fam] == "counter" && parts[1] + 0 < 0) {
		fail("negative counter")
	}
}

END {
	if (NR == 0) { print "empty exposition"; exit 1 }
	for (s in sets) {
		if (!(s in inf)) { printf "%s: no +Inf bucket\n", s; bad = 1 }
		if (!(s in sum)) { printf "%s: no _sum\n", s; bad = 1 }
		if (!(s in cnt)) { printf "%s: no _count\n", s; bad = 1 }
		else if ((s in inf) && inf[s] != cnt[s]) { printf "%s: +Inf bucket %s != _count %s\n", s, inf[s], cnt[s]; bad = 1 }
	}
	exit bad
}
