/*
 * test-auth - the token file, bearer tokens and the per-identity limits (api/auth.c,
 * api/limits.c).
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "limits.h"

static void line(char *buf, size_t size, const char *name, const char *role, const char *token)
{
	char h[65];

	api_sha256_hex(token, strlen(token), h);
	snprintf(buf, size, "%s %s %s\n", name, role, h);
}

static void test_auth_sha256_known_vector(void **state)
{
	char h[65];

	api_sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_auth_token_roles(void **state)
{
	char text[1024] = "# comment\n\n", l[256], err[256] = "";
	struct api_tokens *t = NULL;
	struct api_identity id;

	line(l, sizeof(l), "ci", "operator", "s3cret-op");
	strcat(text, l);
	line(l, sizeof(l), "dash", "reader", "s3cret-rd");
	strcat(text, l);
	assert_int_equal(api_tokens_parse(text, strlen(text), &t, err, sizeof(err)), 0);
	assert_int_equal(api_tokens_count(t), 2);
	assert_int_equal(api_tokens_check(t, "Bearer s3cret-op", &id), 0);
	assert_int_equal(id.role, API_ROLE_OPERATOR);
	assert_string_equal(id.name, "token:ci");
	assert_int_equal(api_tokens_check(t, "bearer   s3cret-rd", &id), 0);
	assert_int_equal(id.role, API_ROLE_READER);
	assert_int_equal(api_tokens_check(t, "Bearer s3cret-o", &id), -EACCES);
	assert_int_equal(api_tokens_check(t, "Bearer s3cret-opp", &id), -EACCES);
	assert_int_equal(api_tokens_check(t, "Basic s3cret-op", &id), -EINVAL);
	assert_int_equal(api_tokens_check(t, "Bearer ", &id), -EINVAL);
	assert_int_equal(api_tokens_check(t, "Bearer a b", &id), -EINVAL);
	assert_int_equal(api_tokens_check(NULL, "Bearer s3cret-op", &id), -EACCES);
	api_tokens_free(t);
}

static void test_auth_token_file_rejects_bad_lines(void **state)
{
	static const char *const bad[] = {
		"ci operator 0000\n",
		"ci root ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
		"ci reader BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n",
		"c/i reader ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
		"ci reader ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad extra\n",
		"ci reader ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
		"ci admin ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
		"ci\x01 reader ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct api_tokens *t = NULL;
		char err[256] = "";
		assert_int_equal(api_tokens_parse(bad[i], strlen(bad[i]), &t, err, sizeof(err)),
				 -EINVAL);
		assert_null(t);
		assert_non_null(strstr(err, "line "));
	}
}

static void test_limits_bucket_and_connections(void **state)
{
	struct api_limits *l = NULL;
	uint64_t t = 1000000;
	unsigned limited = 0;

	assert_int_equal(api_limits_new(10, 5, 2, &l), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(api_limits_take(l, "token:a", t), 0);
	assert_true(api_limits_take(l, "token:a", t) >= 1);    /* burst spent */
	assert_int_equal(api_limits_take(l, "token:b", t), 0); /* another identity is not */
	t += 1000000;					       /* a second later: 10 more */
	for (int i = 0; i < 12; i++)
		limited += api_limits_take(l, "token:a", t) > 0;
	assert_int_equal(limited, 7); /* 5 (burst, full again) allowed, the rest not */
	assert_int_equal(api_limits_conn_add(l, "uid:0", t), 0);
	assert_int_equal(api_limits_conn_add(l, "uid:0", t), 0);
	assert_int_equal(api_limits_conn_add(l, "uid:0", t), -EMFILE);
	api_limits_conn_del(l, "uid:0");
	assert_int_equal(api_limits_conn_add(l, "uid:0", t), 0);
	api_limits_free(l);
}

static void test_limits_table_is_bounded(void **state)
{
	struct api_limits *l = NULL;
	char key[64];

	assert_int_equal(api_limits_new(1, 1, 1, &l), 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "anonymous:10.0.%d.%d", i / 256, i % 256);
		(void)api_limits_take(l, key, 1000000);
	}
	assert_true(api_limits_size(l) <= 4096);
	api_limits_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_sha256_known_vector),
		cmocka_unit_test(test_auth_token_roles),
		cmocka_unit_test(test_auth_token_file_rejects_bad_lines),
		cmocka_unit_test(test_limits_bucket_and_connections),
		cmocka_unit_test(test_limits_table_is_bounded),
	};

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
