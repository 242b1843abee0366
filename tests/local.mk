# tests/: integration tests (TAP shell scripts against the real passd over real sockets).
integration_tests = \
	tests/integration/t0000-layering.sh \
	tests/integration/t0100-health.sh \
	tests/integration/t1100-discovery-profiles.sh \
	tests/integration/t1200-discovery-real.sh \
	tests/integration/t1300-api-input.sh \
	tests/integration/t1400-store-restart.sh \
	tests/integration/t1500-host-critical.sh \
	tests/integration/t1600-host-preflight.sh \
	tests/integration/t2000-bind-plan.sh \
	tests/integration/t2100-bind-live.sh \
	tests/integration/t2200-sriov-live.sh \
	tests/integration/t2210-sriov-async.sh \
	tests/integration/t2220-sriov-pf-bind.sh \
	tests/integration/t2230-sriov-history.sh \
	tests/integration/t2300-bind-crash.sh \
	tests/integration/t2310-sriov-crash.sh \
	tests/integration/t2400-reconcile.sh \
	tests/integration/t2410-sriov-reconcile.sh \
	tests/integration/t2500-bind-concurrency.sh \
	tests/integration/t2600-large-group.sh \
	tests/integration/t2610-no-reset.sh \
	tests/integration/t2620-sriov-reboot.sh \
	tests/integration/t4000-cli-usage.sh \
	tests/integration/t4100-cli-listing.sh \
	tests/integration/t5100-dashboard.sh \
	tests/integration/t5200-dashboard-profiles.sh \
	tests/integration/t5300-dashboard-actions.sh \
	tests/integration/t6000-domains-test-driver.sh \
	tests/integration/t6100-libvirt-real.sh \
	tests/integration/t6200-assign.sh \
	tests/integration/t6210-assign-libvirt-real.sh \
	tests/integration/t6220-assign-failed.sh \
	tests/integration/t6300-assign-race.sh \
	tests/integration/t7100-routes-roles.sh \
	tests/integration/t7200-bad-input.sh \
	tests/integration/t7210-connection-cap.sh \
	tests/integration/t7300-no-postprocessor.sh \
	tests/integration/t7400-tls.sh \
	tests/integration/t8100-events.sh \
	tests/integration/t8200-metrics.sh \
	tests/integration/t8400-systemd.sh \
	tests/integration/t8500-completion.sh \
	tests/integration/t8600-install.sh \
	tests/integration/t8300-openapi.sh
TESTS += $(integration_tests)
EXTRA_DIST += $(integration_tests) tests/lib/test-lib.sh tests/check-layering.sh \
	tests/lib/libvirt-lib.sh tests/lib/libvirt-test.sh tests/lib/prom-lint.awk \
	tests/fixtures/real tests/web/package.json tests/web/package-lock.json \
	tests/web/dashboard.test.js tests/web/actions.test.js tests/web/web-lib.sh \
	tests/web/openapi-check.js tests/web/screenshot.js tests/web/docs-screenshots.sh \
	schema/openapi.yaml
CLEANFILES += tests/web/t5100-desktop.png tests/web/t5300-actions.png

# t6100 and t6210 keep libvirt's capabilities cache here between runs; distclean removes it.
distclean-local:
	rm -rf tests/.libvirt-cache
