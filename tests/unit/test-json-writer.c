/*
 * test-json-writer - the streaming writer behind the large API answers (api/json-writer.c).
 * Every output is parsed back with jansson, so the writer is judged by a real JSON parser.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/json-writer.h"

static json_t *parse(struct jw *w)
{
	struct api_blob *b = jw_take_blob(w);
	json_error_t e;
	json_t *v;

	assert_non_null(b);
	assert_int_equal(strlen(b->data), b->len);
	v = json_loadb(b->data, b->len, 0, &e);
	if (!v)
		fail_msg("not JSON (%s): %s", e.text, b->data);
	free(b);
	return v;
}

static void test_json_writer_escapes_strings(void **state)
{
	static const char *const cases[] = {
		"plain", "quote \" and backslash \\", "tab\tnewline\ncr\r", "\x01\x1f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "</script>",
	};
	struct jw w;
	json_t *v;

	jw_init(&w, 0);
	jw_arr_open(&w, NULL);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		jw_str(&w, NULL, cases[i]);
	jw_arr_close(&w);
	v = parse(&w);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		assert_string_equal(json_string_value(json_array_get(v, i)), cases[i]);
	json_decref(v);
}

static void test_json_writer_invalid_utf8_is_null(void **state)
{
	static const char *const bad[] = {
		"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\x80",
	};
	struct jw w;
	json_t *v;

	jw_init(&w, 0);
	jw_obj_open(&w, NULL);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char key[8];
		snprintf(key, sizeof(key), "k%zu", i);
		jw_str(&w, key, bad[i]);
	}
	jw_obj_close(&w);
	v = parse(&w);
	assert_int_equal(json_object_size(v), ELEMENTSOF(bad));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char key[8];
		snprintf(key, sizeof(key), "k%zu", i);
		assert_true(json_is_null(json_object_get(v, key)));
	}
	json_decref(v);
}

static void test_json_writer_values_and_nesting(void **state)
{
	struct jw w;
	json_t *v;

	jw_init(&w, 1); /* forces growth */
	jw_obj_open(&w, NULL);
	jw_int(&w, "i", -42);
	jw_int_or_null(&w, "none", -1);
	jw_int_or_null(&w, "zero", 0);
	jw_bool(&w, "t", true);
	jw_bool(&w, "f", false);
	jw_str(&w, "empty", "");
	jw_str(&w, "null", NULL);
	jw_arr_open(&w, "a");
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "inner");
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_obj_open(&w, NULL);
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_obj_close(&w);
	v = parse(&w);
	assert_int_equal(json_integer_value(json_object_get(v, "i")), -42);
	assert_true(json_is_null(json_object_get(v, "none")));
	assert_int_equal(json_integer_value(json_object_get(v, "zero")), 0);
	assert_true(json_is_true(json_object_get(v, "t")));
	assert_true(json_is_false(json_object_get(v, "f")));
	assert_true(json_is_null(json_object_get(v, "empty")));
	assert_true(json_is_null(json_object_get(v, "null")));
	assert_int_equal(json_array_size(json_object_get(v, "a")), 2);
	json_decref(v);
}

static void test_json_writer_unbalanced_is_refused(void **state)
{
	struct jw w;

	jw_init(&w, 0);
	jw_obj_open(&w, NULL);
	assert_null(jw_take_blob(&w));

	jw_init(&w, 0);
	for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
		jw_arr_open(&w, NULL);
	for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
		jw_arr_close(&w);
	assert_null(jw_take_blob(&w)); /* too deep: failed, not truncated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_writer_escapes_strings),
		cmocka_unit_test(test_json_writer_invalid_utf8_is_null),
		cmocka_unit_test(test_json_writer_values_and_nesting),
		cmocka_unit_test(test_json_writer_unbalanced_is_refused),
	};

	return cmocka_run_group_tests_name("json-writer", tests, NULL, NULL);
}
